"""Built-in wording in Danish (one register: "du" is how Danish businesses write)."""

from regulars.outreach.wording.texts import Frame, Greetings, Words

FRAME = Frame(
    greetings=Greetings(
        formal="Kære {name}",
        informal="Hej {name}",
        formal_nameless="Kære kunde",
        informal_nameless="Hej",
    ),
    signoff="Mange hilsner",
    voucher=(
        "En lille hilsen fra os: {{ voucher.text }}. Vis bare koden {{ voucher.code }} ved "
        "disken – den gælder til og med {{ voucher.valid_until }}."
    ),
    voucher_sms=(
        "En gave til dig: {{ voucher.text }}. Vis koden {{ voucher.code }} ved disken senest "
        "{{ voucher.valid_until }}."
    ),
    unsubscribe_email="Vil du ikke længere have e-mails fra os? Afmeld med ét klik: {url}",
    unsubscribe_sms="Afmeld sms: {url}",
    percent_off="{value} rabat",
    amount_off="{value} i rabat",
    a_gift="en lille forkælelse",
    occasions={
        "birthday": "fødselsdag",
        "name_day": "navnedag",
        "first_visit": "årsdag for dit første besøg",
        "household_birthday": "fødselsdag i familien",
        "pet_birthday": "dyrets fødselsdag",
        "custom": "særlig dag",
    },
    someone={"household_birthday": "en du holder af", "pet_birthday": "din firbenede ven"},
)

_YEARS = "{% if years > 1 %}{{ years }} år{% else %}et år{% endif %}"

WORDS = {
    "birthday": Words(
        subject="Tillykke med fødselsdagen fra {{ business }}",
        text=(
            "Tillykke med fødselsdagen! Alle os hos {{ business }} ønsker dig en dejlig dag "
            "og et år fyldt med gode ting."
        ),
        sms="Tillykke med fødselsdagen, {{ name }}! Varme hilsner fra alle os hos {{ business }}.",
    ),
    "name_day": Words(
        subject="Tillykke med navnedagen!",
        text=(
            "Tillykke med navnedagen! Vi ville ikke lade din særlige dag gå forbi uden at "
            "sende dig vores bedste ønsker."
        ),
        sms="Tillykke med navnedagen, {{ name }}! De bedste hilsner fra {{ business }}.",
    ),
    "first_visit": Words(
        subject="Tak for " + _YEARS + "!",
        text=(
            "Det er " + _YEARS + " siden, du kom forbi {{ business }} første gang. Tak for "
            "hvert eneste besøg siden – det betyder meget for os."
        ),
        sms=(
            "{{ name }}, det er " + _YEARS + " siden dit første besøg hos {{ business }}. "
            "Tak for hvert besøg siden!"
        ),
    ),
    "household_birthday": Words(
        subject="Tillykke til {{ occasion_name }}!",
        text=(
            "Der er fødselsdag i familien: stort tillykke til {{ occasion_name }}! Send "
            "gerne vores varmeste hilsner videre fra alle os hos {{ business }}."
        ),
        sms=(
            "Stort tillykke til {{ occasion_name }}, {{ name }}! Send gerne vores hilsner videre "
            "fra alle os hos {{ business }}."
        ),
    ),
    "pet_birthday": Words(
        subject="Tillykke, {{ occasion_name }}!",
        text=(
            "Stort tillykke til {{ occasion_name }}! Vi håber, der bliver ekstra godbidder "
            "og masser af kæl. Kærlige hilsner fra alle os hos {{ business }}."
        ),
        sms=(
            "{{ name }}, tillykke til {{ occasion_name }}! Ekstra godbidder til fødselaren fra"
            " alle os "
            "hos {{ business }}."
        ),
    ),
    "custom": Words(
        subject="De bedste ønsker fra {{ business }}",
        text=(
            "I anledning af en særlig dag – {{ occasion_name }} – vil vi gerne sende dig "
            "vores bedste ønsker."
        ),
        sms=(
            "{{ name }}, de bedste ønsker fra {{ business }} i anledning af en særlig dag: {{ "
            "occasion_name }}."
        ),
    ),
    "welcome": Words(
        subject="Tak for besøget!",
        text=(
            "Tak fordi du kiggede forbi. Vi håber, du følte dig godt tilpas, og vi glæder os "
            "til at se dig igen, når det passer dig."
        ),
        sms="Tak for besøget hos {{ business }}, {{ name }}! Vi glæder os til at se dig igen.",
    ),
    "checkin": Words(
        subject="En hilsen fra {{ business }}",
        text=(
            "Vi har ikke set dig i et stykke tid og ville bare sige hej. Vi håber, alt er "
            "vel – du er altid velkommen, når du har lyst til at kigge forbi."
        ),
        sms=(
            "Hej {{ name }}, det er et stykke tid siden – vi håber, alt er vel! Du er altid "
            "velkommen hos {{ business }}."
        ),
    ),
    "winback": Words(
        subject="Vi savner dig",
        text=(
            "Det er et stykke tid siden, vi sidst så dig, og vi savner dig. Hvis noget ikke "
            "var helt, som det skulle være, vil vi meget gerne høre om det. Vores dør står "
            "altid åben."
        ),
        sms="Vi savner dig, {{ name }}! Døren hos {{ business }} står altid åben.",
    ),
    "recovery": Words(
        subject="Vi beklager",
        text=(
            "Vi er kede af, at dit sidste besøg ikke var, som det burde have været. Tak "
            "fordi du fortalte os det – vi har taget det til os og vil gerne gøre det godt "
            "igen."
        ),
        sms=(
            "{{ name }}, vi er kede af, at dit sidste besøg hos {{ business }} ikke levede op til "
            "forventningerne. Vi vil gerne gøre det godt igen."
        ),
    ),
    "thankyou": Words(
        subject="Tak, {{ name }}!",
        text=(
            'Du har nu besøgt os {{ visits }} {{ visits|plural:"gang,gange" }} – tak! Det '
            "er stamkunder som dig, der gør {{ business }} til noget særligt."
        ),
        sms="{{ visits }} besøg – tak, {{ name }}! Du gør {{ business }} til noget særligt.",
    ),
}
