"""The demo business's places, menus and the words its staff write, as tables.

Texts staff write (notes, preferences, how we met, visit notes, consent methods) come
in the languages the demo writes them in: the location's own (it, da) and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# A text in the languages staff write notes in.
Text = dict[str, str]

SLOTS: dict[str, tuple[int, int]] = {
    # Minutes after local midnight: when people come for what.
    "morning": (7 * 60, 11 * 60 + 15),
    "lunch": (11 * 60 + 15, 14 * 60 + 45),
    "afternoon": (14 * 60 + 45, 17 * 60 + 30),
    "evening": (17 * 60 + 30, 20 * 60),
}


@dataclass(frozen=True)
class Item:
    name: str
    price: Decimal
    slots: tuple[str, ...]


@dataclass(frozen=True)
class Org:
    name: str
    phone: str  # national format of the location's country
    email: str
    address: str
    note: Text
    order: str  # what a catering order usually is
    amount: tuple[int, int]  # usual order value range, in the location's currency


@dataclass(frozen=True)
class StaffSpec:
    username: str
    first_name: str
    last_name: str
    role: str  # "owner" | "manager" | "staff"
    language: str  # interface language
    serves: float  # share of the counter work they do, relative


@dataclass(frozen=True)
class LocationSpec:
    name: str
    address: str
    country: str
    timezone: str
    currency: str
    language: str
    hours: dict[str, list[list[str]]]
    menu: tuple[Item, ...]
    streets: tuple[str, ...]
    postcodes: tuple[str, ...]  # "40125 Bologna BO", "2200 København N"
    street_format: str  # "{street} {number}" or "{street} {number}, {floor}"
    orgs: tuple[Org, ...]
    # Customers' languages here, with weights.
    cultures: tuple[tuple[str, float], ...]
    # Walk-in traffic by weekday (mon..sun), relative.
    weekday_traffic: tuple[float, ...]
    # Month (1..12) where trade is slow, and by how much (share of usual traffic).
    quiet_month: tuple[int, float]


def _menu(*rows: tuple[str, str, str]) -> tuple[Item, ...]:
    return tuple(Item(name, Decimal(price), tuple(slots.split())) for name, price, slots in rows)


BOLOGNA = LocationSpec(
    name="Bologna",
    address="Via Santo Stefano 12\n40125 Bologna BO\nItalia",
    country="IT",
    timezone="Europe/Rome",
    currency="EUR",
    language="it",
    hours={day: [["07:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
    menu=_menu(
        ("caffè", "1.20", "morning lunch afternoon"),
        ("cappuccino", "1.60", "morning"),
        ("caffè macchiato", "1.30", "morning afternoon"),
        ("marocchino", "1.80", "morning afternoon"),
        ("caffè d'orzo", "1.50", "morning afternoon"),
        ("cornetto", "1.40", "morning"),
        ("cornetto integrale", "1.60", "morning"),
        ("brioche alla crema", "1.70", "morning"),
        ("spremuta d'arancia", "3.50", "morning lunch"),
        ("tramezzino", "3.50", "lunch"),
        ("piadina squacquerone e rucola", "7.00", "lunch"),
        ("tortellini in brodo", "11.00", "lunch"),
        ("tagliatelle al ragù", "12.00", "lunch"),
        ("insalata mista", "8.50", "lunch"),
        ("acqua frizzante", "1.50", "lunch"),
        ("torta di riso", "3.00", "afternoon"),
        ("cioccolata calda", "3.50", "afternoon"),
        ("tè", "2.50", "afternoon"),
        ("spritz", "6.50", "evening"),
        ("calice di Pignoletto", "5.50", "evening"),
        ("tagliere misto", "14.00", "evening"),
        ("analcolico", "5.00", "evening"),
    ),
    streets=(
        "Via Santo Stefano",
        "Strada Maggiore",
        "Via Zamboni",
        "Via dell'Indipendenza",
        "Via Saragozza",
        "Via del Pratello",
        "Via Castiglione",
        "Via Mazzini",
        "Via San Vitale",
        "Via Murri",
    ),
    postcodes=("40121 Bologna BO", "40125 Bologna BO", "40126 Bologna BO", "40137 Bologna BO"),
    street_format="{street} {number}",
    orgs=(
        Org(
            "Studio Legale Ferri & Associati",
            "051 234 5678",
            "segreteria@studioferri.example.com",
            "Via Castiglione 25\n40124 Bologna BO",
            {
                "it": "Riunioni il martedì: caffè e pasticcini per 10.",
                "en": "Tuesday meetings: coffee and pastries for 10.",
            },
            "catering: caffè, pasticcini, spremute",
            (60, 180),
        ),
        Org(
            "Officina Grafica Emiliana srl",
            "051 644 2210",
            "ordini@officinagrafica.example.com",
            "Via del Pratello 90\n40122 Bologna BO",
            {
                "it": "Pranzo di lavoro il venerdì, fattura a fine mese.",
                "en": "Working lunch on Fridays, invoiced at the end of the month.",
            },
            "pranzo di lavoro: tramezzini, piadine, acqua",
            (90, 320),
        ),
        Org(
            "Ambulatorio Veterinario San Luca",
            "051 618 4477",
            "info@vetsanluca.example.com",
            "Via Saragozza 130\n40135 Bologna BO",
            {
                "it": "Ordinano per telefono, ritirano alle 13.",
                "en": "They order by phone and collect at 1 pm.",
            },
            "vassoio di tramezzini e torta di riso",
            (40, 120),
        ),
    ),
    cultures=(("it", 0.70), ("en", 0.10), ("es", 0.09), ("ru", 0.08), ("da", 0.03)),
    weekday_traffic=(1.0, 0.95, 1.0, 1.0, 1.15, 1.3, 0.0),
    quiet_month=(8, 0.45),
)

COPENHAGEN = LocationSpec(
    name="Copenhagen",
    address="Jægersborggade 21\n2200 København N\nDanmark",
    country="DK",
    timezone="Europe/Copenhagen",
    currency="DKK",
    language="da",
    hours={
        **{day: [["07:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["09:00", "17:00"]],
        "sun": [["09:00", "16:00"]],
    },
    menu=_menu(
        ("filterkaffe", "35", "morning afternoon"),
        ("cappuccino", "48", "morning afternoon"),
        ("café latte", "52", "morning afternoon"),
        ("flat white", "50", "morning"),
        ("chai latte", "52", "morning afternoon"),
        ("kanelsnegl", "38", "morning afternoon"),
        ("tebirkes", "32", "morning"),
        ("rundstykke med ost", "42", "morning"),
        ("havregrød", "65", "morning"),
        ("friskpresset juice", "45", "morning lunch"),
        ("smørrebrød", "95", "lunch"),
        ("rugbrødssandwich", "85", "lunch"),
        ("dagens suppe", "90", "lunch"),
        ("salat med kylling", "110", "lunch"),
        ("hyldeblomstsaft", "35", "lunch"),
        ("brunch", "165", "lunch"),
        ("kage", "45", "afternoon"),
        ("varm kakao", "48", "afternoon"),
        ("te", "35", "afternoon"),
        ("naturvin, glas", "85", "afternoon evening"),
    ),
    streets=(
        "Jægersborggade",
        "Nørrebrogade",
        "Blågårdsgade",
        "Vesterbrogade",
        "Istedgade",
        "Østerbrogade",
        "Amagerbrogade",
        "Gothersgade",
        "Guldbergsgade",
        "Elmegade",
    ),
    postcodes=("2200 København N", "1620 København V", "2100 København Ø", "1360 København K"),
    street_format="{street} {number}, {floor}",
    orgs=(
        Org(
            "Nordlys Arkitekter ApS",
            "33 14 52 60",
            "kontor@nordlys.example.com",
            "Guldbergsgade 29\n2200 København N",
            {
                "da": "Fredagsmøde: kaffe og kage til 14. Faktura via EAN.",
                "en": "Friday meeting: coffee and cake for 14. Invoice by EAN.",
            },
            "mødeforplejning: kaffe, kage, frugt",
            (900, 2400),
        ),
        Org(
            "Havnens Tandklinik",
            "35 37 18 90",
            "reception@havnenstand.example.com",
            "Østerbrogade 88\n2100 København Ø",
            {
                "da": "Frokost til personalet den første torsdag i måneden.",
                "en": "Staff lunch on the first Thursday of the month.",
            },
            "frokostordning: smørrebrød og salat",
            (1400, 3800),
        ),
        Org(
            "Fjord Software A/S",
            "38 71 24 05",
            "office@fjordsoftware.example.com",
            "Elmegade 5\n2200 København N",
            {
                "da": "Bestiller altid via mail dagen før. Én vegansk kollega.",
                "en": "Always orders by email the day before. One vegan colleague.",
            },
            "catering: rugbrødssandwich, juice, kanelsnegle",
            (1800, 4500),
        ),
    ),
    cultures=(("da", 0.68), ("en", 0.14), ("ru", 0.07), ("es", 0.07), ("it", 0.04)),
    weekday_traffic=(0.9, 0.9, 0.95, 1.0, 1.1, 1.4, 1.25),
    quiet_month=(7, 0.6),
)

LOCATIONS: tuple[LocationSpec, ...] = (BOLOGNA, COPENHAGEN)
# Where customers live: a share per location.
HOME_SHARE: tuple[float, ...] = (0.55, 0.45)

# The six staff users; "all" is the owner, who owns every location.
STAFF: dict[str, tuple[StaffSpec, ...]] = {
    "all": (StaffSpec("owner", "Elena", "Marchesi", "owner", "en", 0.25),),
    "Bologna": (
        StaffSpec("giulia", "Giulia", "Bertolini", "manager", "it", 0.8),
        StaffSpec("luca", "Luca", "Gualandi", "staff", "it", 1.0),
        StaffSpec("olga", "Olga", "Smirnova", "staff", "ru", 1.0),
    ),
    "Copenhagen": (
        StaffSpec("mads", "Mads", "Kjær", "manager", "da", 0.8),
        StaffSpec("sofia", "Sofía", "Navarro", "staff", "es", 1.0),
    ),
}

TAGS: tuple[str, ...] = (
    "regular",
    "vip",
    "student",
    "office",
    "neighbour",
    "tourist",
    "family",
    "dog owner",
    "catering",
    "newsletter",
)

# (kind, texts); kinds as in customers.PreferenceKind.
PREFERENCES: dict[str, tuple[Text, ...]] = {
    "like": (
        {"en": "oat milk", "it": "latte d'avena", "da": "havremælk"},
        {"en": "extra hot", "it": "bollente", "da": "ekstra varm"},
        {"en": "double espresso", "it": "caffè doppio", "da": "dobbelt espresso"},
        {
            "en": "table by the window",
            "it": "tavolo vicino alla finestra",
            "da": "bord ved vinduet",
        },
        {"en": "dark chocolate", "it": "cioccolato fondente", "da": "mørk chokolade"},
        {"en": "sparkling water", "it": "acqua frizzante", "da": "danskvand"},
        {"en": "the Saturday papers", "it": "i giornali del sabato", "da": "lørdagsaviserne"},
        {"en": "decaf after 3 pm", "it": "deca dopo le 15", "da": "koffeinfri efter kl. 15"},
        {"en": "cinnamon on top", "it": "cannella sopra", "da": "kanel på toppen"},
    ),
    "dislike": (
        {"en": "no green sauce", "it": "niente salsa verde", "da": "ingen grøn sauce"},
        {"en": "no sugar", "it": "senza zucchero", "da": "uden sukker"},
        {"en": "no onions", "it": "niente cipolla", "da": "ingen løg"},
        {"en": "loud music", "it": "musica alta", "da": "høj musik"},
        {"en": "too much foam", "it": "troppa schiuma", "da": "for meget skum"},
    ),
    "allergy": (
        {"en": "nut allergy", "it": "allergia alla frutta a guscio", "da": "nøddeallergi"},
        {"en": "peanut allergy", "it": "allergia alle arachidi", "da": "jordnøddeallergi"},
        {"en": "coeliac", "it": "celiachia", "da": "cøliaki"},
        {"en": "shellfish allergy", "it": "allergia ai crostacei", "da": "skaldyrsallergi"},
        {"en": "egg allergy", "it": "allergia alle uova", "da": "æggeallergi"},
    ),
    "dietary": (
        {"en": "lactose intolerant", "it": "intollerante al lattosio", "da": "laktoseintolerant"},
        {"en": "vegan", "it": "vegano", "da": "veganer"},
        {"en": "vegetarian", "it": "vegetariano", "da": "vegetar"},
        {"en": "no pork", "it": "niente maiale", "da": "intet svinekød"},
        {
            "en": "little sugar (diabetic)",
            "it": "poco zucchero (diabete)",
            "da": "lidt sukker (diabetes)",
        },
    ),
}

NOTES: tuple[Text, ...] = (
    {
        "en": "Works at the university library, comes in before her shift.",
        "it": "Lavora alla biblioteca universitaria, passa prima del turno.",
        "da": "Arbejder på biblioteket, kommer forbi før vagten.",
    },
    {
        "en": "Always pays by card.",
        "it": "Paga sempre con la carta.",
        "da": "Betaler altid med kort.",
    },
    {
        "en": "Loves to talk football.",
        "it": "Ama parlare di calcio, tifoso del Bologna.",
        "da": "Snakker gerne fodbold, FCK-fan.",
    },
    {
        "en": "Runs the bookshop next door.",
        "it": "Ha la libreria qui accanto.",
        "da": "Har boghandlen ved siden af.",
    },
    {
        "en": "Comes with the dog: a bowl of water, please.",
        "it": "Viene col cane: una ciotola d'acqua, per favore.",
        "da": "Kommer med hunden – husk vandskålen.",
    },
    {
        "en": "Hard of hearing, speak clearly and face them.",
        "it": "Ci sente poco: parlare chiaramente, guardandolo.",
        "da": "Hører dårligt – tal tydeligt og se på ham.",
    },
    {
        "en": "Prefers to sit outside, even in winter.",
        "it": "Preferisce sedersi fuori, anche d'inverno.",
        "da": "Sidder helst udenfor, også om vinteren.",
    },
    {
        "en": "Recently retired, has more time for a chat.",
        "it": "In pensione da poco, ha più tempo per due chiacchiere.",
        "da": "Nybagt pensionist, har god tid til en snak.",
    },
    {
        "en": "Training for a marathon; asks about protein snacks.",
        "it": "Si allena per la maratona; chiede snack proteici.",
        "da": "Træner til maraton; spørger efter proteinsnacks.",
    },
    {
        "en": "Complained once about slow service; all good since.",
        "it": "Una volta si è lamentato del servizio lento; da allora tutto bene.",
        "da": "Klagede en gang over langsom betjening; alt godt siden.",
    },
    {
        "en": "Orders for the whole office on Fridays.",
        "it": "Il venerdì ordina per tutto l'ufficio.",
        "da": "Bestiller til hele kontoret om fredagen.",
    },
    {
        "en": "Brings the grandchildren on Saturdays.",
        "it": "Il sabato porta i nipotini.",
        "da": "Tager børnebørnene med om lørdagen.",
    },
)

HOW_MET: tuple[Text, ...] = (
    {"en": "walked in", "it": "passava di qui", "da": "kom forbi"},
    {"en": "recommended by a friend", "it": "consigliato da un'amica", "da": "anbefalet af en ven"},
    {"en": "lives nearby", "it": "abita in zona", "da": "bor i kvarteret"},
    {"en": "works nearby", "it": "lavora qui vicino", "da": "arbejder i nærheden"},
    {"en": "Instagram", "it": "Instagram", "da": "Instagram"},
    {"en": "office catering", "it": "catering per l'ufficio", "da": "firmaets catering"},
    {"en": "on holiday", "it": "in vacanza", "da": "på ferie"},
    {"en": "student nearby", "it": "studente all'università", "da": "studerende i nærheden"},
    {"en": "street market stall", "it": "banco al mercato", "da": "bod på markedet"},
)

VISIT_NOTES: tuple[Text, ...] = (
    {
        "en": "Asked about gluten-free pastries.",
        "it": "Ha chiesto dei dolci senza glutine.",
        "da": "Spurgte efter glutenfrit bagværk.",
    },
    {"en": "Birthday today!", "it": "Oggi è il suo compleanno!", "da": "Fødselsdag i dag!"},
    {
        "en": "Ordered a cake for Saturday.",
        "it": "Ha ordinato una torta per sabato.",
        "da": "Bestilte en kage til lørdag.",
    },
    {
        "en": "Waited long at the till, we apologised.",
        "it": "Ha atteso molto alla cassa, ci siamo scusati.",
        "da": "Ventede længe ved kassen, vi undskyldte.",
    },
    {
        "en": "Coffee was cold, we made a new one.",
        "it": "Caffè freddo, l'abbiamo rifatto.",
        "da": "Kaffen var kold, vi lavede en ny.",
    },
    {
        "en": "Very happy with the new pastries.",
        "it": "Contentissima delle brioche nuove.",
        "da": "Meget glad for det nye bagværk.",
    },
    {
        "en": "Forgot the wallet, will pay next time.",
        "it": "Ha dimenticato il portafoglio, paga la prossima volta.",
        "da": "Glemte pungen, betaler næste gang.",
    },
    {"en": "Brought a friend along.", "it": "Ha portato un'amica.", "da": "Tog en ven med."},
)

CONSENT_METHODS: dict[str, Text] = {
    "form": {
        "en": "signed the loyalty card form",
        "it": "modulo tessera fedeltà firmato",
        "da": "underskrev stamkortformularen",
    },
    "counter": {
        "en": "said yes at the counter",
        "it": "ha detto sì al banco",
        "da": "sagde ja ved disken",
    },
    "web": {
        "en": "signed up on the website",
        "it": "iscrizione dal sito",
        "da": "tilmeldt via hjemmesiden",
    },
    "withdrawn": {
        "en": "asked us to stop",
        "it": "ha chiesto di non ricevere più",
        "da": "bad os om at stoppe",
    },
}

WEB_ORDER: Text = {
    "en": "online pre-order for pick-up",
    "it": "preordine online da ritirare",
    "da": "forudbestilt online til afhentning",
}


def say(text: Text, language: str) -> str:
    """The text in ``language``, or in English when the table has no such version."""
    return text.get(language) or text["en"]
