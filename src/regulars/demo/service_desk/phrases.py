"""What people say and write in the demo's service desk, as tables: data, not
interface strings (nothing here is translated through the catalogues).

Customers speak their own language (it, da, ru, es, en; organisations the location's);
staff write subjects, notes and promises in the location's language (it, da), the
owner in English. ``catalogue.say`` falls back to English for a missing language.
"""

from __future__ import annotations

from dataclasses import dataclass

from regulars.demo.catalogue import Text
from regulars.service.flow import FollowUpOutcome, Priority, Remedy, ReturnReason, TicketKind

K, P = TicketKind, Priority


@dataclass(frozen=True)
class Scenario:
    kind: str
    subject: Text  # staff write it
    said: Text  # the customer, in their language
    who: str = "person"  # "person", "organisation" or "any"
    answer: Text | None = None  # what staff answered (questions)
    promise: Text | None = None  # what may be promised along the way
    priority: str | None = None  # always this priority


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        K.COMPLAINT,
        {"it": "Cappuccino freddo", "da": "Kold cappuccino", "en": "Cold cappuccino"},
        {
            "it": "Il cappuccino era tiepido, quasi freddo.",
            "da": "Min cappuccino var lunken, nærmest kold.",
            "ru": "Капучино был чуть тёплый, почти холодный.",
            "es": "El capuchino estaba tibio, casi frío.",
            "en": "My cappuccino was lukewarm, almost cold.",
        },
    ),
    Scenario(
        K.COMPLAINT,
        {"it": "Attesa lunga al banco", "da": "Lang ventetid ved disken", "en": "Long wait"},
        {
            "it": "Ho aspettato venti minuti per un caffè.",
            "da": "Jeg ventede tyve minutter på en kop kaffe.",
            "ru": "Кофе пришлось ждать двадцать минут.",
            "es": "Esperé veinte minutos para un café.",
            "en": "I waited twenty minutes for a coffee.",
        },
    ),
    Scenario(
        K.COMPLAINT,
        {"it": "Addebitato due volte", "da": "Trukket to gange", "en": "Charged twice"},
        {
            "it": "Sull'estratto conto il pagamento compare due volte.",
            "da": "Betalingen står to gange på min konto.",
            "ru": "Оплата списалась с карты дважды.",
            "es": "El pago me aparece dos veces en la cuenta.",
            "en": "The payment shows up twice on my statement.",
        },
    ),
    Scenario(
        K.COMPLAINT,
        {"it": "Servizio scortese", "da": "Uvenlig betjening", "en": "Unfriendly service"},
        {
            "it": "Al banco mi hanno risposto in modo sgarbato.",
            "da": "Jeg blev mødt ret uvenligt ved disken.",
            "ru": "У стойки мне ответили довольно грубо.",
            "es": "En la barra me contestaron de malas maneras.",
            "en": "I was spoken to rather rudely at the counter.",
        },
    ),
    Scenario(
        K.COMPLAINT,
        {"it": "Frutta secca non segnalata", "da": "Nødder uden advarsel", "en": "Unlabelled nuts"},
        {
            "it": "Avevo chiesto un dolce senza frutta secca e dentro c'erano nocciole.",
            "da": "Jeg bad om noget uden nødder, og der var hasselnødder i.",
            "ru": "Просили выпечку без орехов, а в ней оказался фундук.",
            "es": "Pedí algo sin frutos secos y llevaba avellanas.",
            "en": "I asked for something without nuts and it had hazelnuts in it.",
        },
        priority=P.URGENT,
    ),
    Scenario(
        K.COMPLAINT,
        {"it": "Musica troppo alta", "da": "For høj musik", "en": "Music too loud"},
        {
            "it": "La musica era così alta che non riuscivamo a parlare.",
            "da": "Musikken var så høj, at vi ikke kunne tale sammen.",
            "ru": "Музыка играла так громко, что невозможно было разговаривать.",
            "es": "La música estaba tan alta que no podíamos hablar.",
            "en": "The music was so loud we couldn't talk.",
        },
    ),
    Scenario(
        K.COMPLAINT,
        {"it": "Consegna in ritardo", "da": "Forsinket levering", "en": "Late delivery"},
        {
            "it": "Il vassoio per la riunione è arrivato con mezz'ora di ritardo.",
            "da": "Bakken til mødet kom en halv time for sent.",
            "en": "The tray for our meeting arrived half an hour late.",
        },
        who="organisation",
    ),
    Scenario(
        K.QUESTION,
        {"it": "Senza glutine?", "da": "Glutenfrit?", "en": "Gluten-free?"},
        {
            "it": "Avete qualcosa senza glutine per colazione?",
            "da": "Har I noget glutenfrit til morgenmad?",
            "ru": "У вас есть что-нибудь без глютена на завтрак?",
            "es": "¿Tenéis algo sin gluten para desayunar?",
            "en": "Do you have anything gluten-free for breakfast?",
        },
        answer={
            "it": "Sì: il martedì e il venerdì arrivano dolci senza glutine.",
            "da": "Ja – tirsdag og fredag får vi glutenfrit bagværk.",
            "ru": "Да, по вторникам и пятницам у нас есть выпечка без глютена.",
            "es": "Sí: los martes y viernes tenemos bollería sin gluten.",
            "en": "Yes: gluten-free pastries come in on Tuesdays and Fridays.",
        },
    ),
    Scenario(
        K.QUESTION,
        {"it": "Orari delle feste", "da": "Åbningstider i helligdage", "en": "Holiday hours"},
        {
            "it": "Che orari fate durante le feste?",
            "da": "Hvornår har I åbent i helligdagene?",
            "ru": "Как вы работаете в праздники?",
            "es": "¿Qué horario tenéis en festivos?",
            "en": "When are you open over the holidays?",
        },
        answer={
            "it": "Gli orari delle feste sono sulla porta e sul sito.",
            "da": "Helligdagstiderne hænger på døren og står på hjemmesiden.",
            "ru": "Праздничный график висит на двери и есть на сайте.",
            "es": "El horario de festivos está en la puerta y en la web.",
            "en": "The holiday hours are on the door and on our website.",
        },
    ),
    Scenario(
        K.QUESTION,
        {"it": "Festa di compleanno", "da": "Fødselsdagsfest", "en": "Birthday party"},
        {
            "it": "Si può prenotare il locale per una festa di compleanno?",
            "da": "Kan man leje caféen til en fødselsdag?",
            "ru": "Можно ли у вас отметить день рождения?",
            "es": "¿Se puede reservar el local para un cumpleaños?",
            "en": "Can we book the café for a birthday party?",
        },
        answer={
            "it": "Sì, fino a venti persone: fissiamo insieme data e menù.",
            "da": "Ja, op til tyve personer – vi aftaler dato og menu sammen.",
            "ru": "Да, до двадцати человек: дату и меню обсудим вместе.",
            "es": "Sí, hasta veinte personas: acordamos juntos la fecha y el menú.",
            "en": "Yes, up to twenty people: we'll agree the date and menu together.",
        },
    ),
    Scenario(
        K.QUESTION,
        {"it": "Buono regalo", "da": "Gavekort", "en": "Gift card"},
        {
            "it": "Fate buoni regalo?",
            "da": "Sælger I gavekort?",
            "ru": "У вас есть подарочные сертификаты?",
            "es": "¿Vendéis tarjetas regalo?",
            "en": "Do you sell gift cards?",
        },
        answer={
            "it": "Sì, di qualsiasi importo, validi un anno.",
            "da": "Ja, med valgfrit beløb og gyldige i et år.",
            "ru": "Да, на любую сумму, действуют год.",
            "es": "Sí, del importe que quiera, válidas un año.",
            "en": "Yes, for any amount, valid for a year.",
        },
    ),
    Scenario(
        K.QUESTION,
        {"it": "Dolci con burro?", "da": "Bagværk med smør?", "en": "Pastries with butter?"},
        {
            "it": "Le brioche sono fatte con il burro?",
            "da": "Er jeres bagværk lavet med smør?",
            "ru": "Ваша выпечка на сливочном масле?",
            "es": "¿La bollería lleva mantequilla?",
            "en": "Are your pastries made with butter?",
        },
        answer={
            "it": "Sì, tutti con burro; quelli vegani sono segnati in vetrina.",
            "da": "Ja, alt med smør; det veganske er mærket i montren.",
            "ru": "Да, вся на сливочном; веганская отмечена на витрине.",
            "es": "Sí, toda con mantequilla; la vegana está señalada en la vitrina.",
            "en": "Yes, all with butter; the vegan ones are marked in the display.",
        },
    ),
    Scenario(
        K.REQUEST,
        {"it": "Torta per un compleanno", "da": "Kage til en fødselsdag", "en": "Birthday cake"},
        {
            "it": "Vorrei ordinare una torta per sabato, per otto persone.",
            "da": "Jeg vil gerne bestille en kage til lørdag til otte personer.",
            "ru": "Хочу заказать торт на субботу на восемь человек.",
            "es": "Quería encargar una tarta para el sábado, para ocho personas.",
            "en": "I'd like to order a cake for Saturday, for eight people.",
        },
        promise={
            "it": "Torta per otto pronta da ritirare",
            "da": "Kage til otte klar til afhentning",
            "en": "Cake for eight ready for pick-up",
        },
    ),
    Scenario(
        K.REQUEST,
        {"it": "Latte d'avena senza zucchero", "da": "Usødet havremælk", "en": "Oat milk"},
        {
            "it": "Potreste tenere il latte d'avena senza zucchero?",
            "da": "Kunne I få usødet havremælk på hylden?",
            "ru": "Не могли бы вы завести несладкое овсяное молоко?",
            "es": "¿Podríais tener leche de avena sin azúcar?",
            "en": "Could you stock unsweetened oat milk?",
        },
        promise={
            "it": "Avvisare quando arriva il latte d'avena",
            "da": "Sige til, når havremælken er kommet",
            "en": "Say when the oat milk is in",
        },
    ),
    Scenario(
        K.REQUEST,
        {"it": "Ombrello dimenticato", "da": "Glemt paraply", "en": "Forgotten umbrella"},
        {
            "it": "Ieri ho dimenticato qui un ombrello blu, l'avete trovato?",
            "da": "Jeg glemte en blå paraply her i går – har I fundet den?",
            "ru": "Вчера здесь остался мой синий зонт, вы его не находили?",
            "es": "Ayer me dejé aquí un paraguas azul, ¿lo habéis encontrado?",
            "en": "I left a blue umbrella here yesterday, have you found it?",
        },
        promise={
            "it": "Richiamare se salta fuori l'ombrello",
            "da": "Ringe, hvis paraplyen dukker op",
            "en": "Call back if the umbrella turns up",
        },
    ),
    Scenario(
        K.REQUEST,
        {"it": "Vassoio di dolci", "da": "Bakke med bagværk", "en": "Pastry tray"},
        {
            "it": "Potete prepararmi un vassoio di dolci per venerdì mattina?",
            "da": "Kan I lave en bakke med bagværk til fredag morgen?",
            "ru": "Можете собрать поднос выпечки к утру пятницы?",
            "es": "¿Me podéis preparar una bandeja de bollería para el viernes por la mañana?",
            "en": "Could you make up a tray of pastries for Friday morning?",
        },
        who="any",
        promise={"it": "Vassoio pronto", "da": "Bakken klar", "en": "Tray ready"},
    ),
    Scenario(
        K.REQUEST,
        {"it": "Fattura del mese", "da": "Månedens faktura", "en": "Monthly invoice"},
        {
            "it": "Ci serve la fattura di questo mese intestata alla società.",
            "da": "Vi skal bruge månedens faktura udstedt til firmaet.",
            "en": "We need this month's invoice made out to the company.",
        },
        who="organisation",
        promise={
            "it": "Mandare la fattura via email",
            "da": "Sende fakturaen på mail",
            "en": "Email the invoice",
        },
    ),
    Scenario(
        K.REPAIR,
        {"it": "Tavolo traballante", "da": "Vaklende bord", "en": "Wobbly table"},
        {
            "it": "Il tavolo vicino alla finestra traballa, mi si è rovesciato il caffè.",
            "da": "Bordet ved vinduet vipper, og min kaffe væltede.",
            "ru": "Стол у окна шатается, кофе пролился.",
            "es": "La mesa de la ventana cojea y se me ha volcado el café.",
            "en": "The table by the window wobbles and my coffee spilled.",
        },
        promise={
            "it": "Sistemare il tavolo vicino alla finestra",
            "da": "Ordne bordet ved vinduet",
            "en": "Fix the table by the window",
        },
    ),
    Scenario(
        K.REPAIR,
        {"it": "Wi-fi non funziona", "da": "Wi-fi virker ikke", "en": "Wi-fi down"},
        {
            "it": "Il wi-fi non si collega da due giorni.",
            "da": "Wi-fi'en har ikke virket i to dage.",
            "ru": "Уже два дня не работает вай-фай.",
            "es": "El wifi no funciona desde hace dos días.",
            "en": "The wi-fi hasn't worked for two days.",
        },
        promise={"it": "Wi-fi di nuovo attivo", "da": "Wi-fi'en kører igen", "en": "Wi-fi back"},
    ),
    Scenario(
        K.REPAIR,
        {"it": "Serratura del bagno", "da": "Låsen på toilettet", "en": "Toilet door lock"},
        {
            "it": "La porta del bagno non si chiude a chiave.",
            "da": "Døren til toilettet kan ikke låses.",
            "ru": "В туалете не закрывается дверь.",
            "es": "La puerta del baño no cierra con pestillo.",
            "en": "The toilet door doesn't lock.",
        },
    ),
    Scenario(
        K.REPAIR,
        {"it": "Thermos che perde", "da": "Termokanden lækker", "en": "Leaking flask"},
        {
            "it": "Il thermos che ci avete lasciato per le riunioni perde dal coperchio.",
            "da": "Termokanden, I har lånt os til møderne, lækker ved låget.",
            "en": "The flask you lent us for meetings leaks at the lid.",
        },
        who="organisation",
        promise={
            "it": "Thermos nuovo con la prossima consegna",
            "da": "Ny termokande med næste levering",
            "en": "New flask with the next delivery",
        },
    ),
)

# Why things come back (a few "pushed into buying"), what the customer says, the remedies.
REASONS: tuple[tuple[str, float], ...] = (
    (ReturnReason.CHANGED_MIND, 30),
    (ReturnReason.DEFECT, 30),
    (ReturnReason.WRONG_SIZE, 22),
    (ReturnReason.PUSHED, 8),
    (ReturnReason.OTHER, 10),
)
REMEDIES: dict[str, tuple[str, ...]] = {
    ReturnReason.CHANGED_MIND: (Remedy.REFUND, Remedy.REFUND, Remedy.STORE_CREDIT),
    ReturnReason.DEFECT: (Remedy.EXCHANGE, Remedy.REFUND),
    ReturnReason.WRONG_SIZE: (Remedy.EXCHANGE, Remedy.EXCHANGE, Remedy.REFUND),
    ReturnReason.PUSHED: (Remedy.REFUND,),
    ReturnReason.OTHER: (Remedy.STORE_CREDIT, Remedy.REFUND),
}
RETURN_SAID: dict[str, tuple[Text, ...]] = {
    ReturnReason.CHANGED_MIND: (
        {
            "it": "Scusate, ho cambiato idea: lo prendo un'altra volta.",
            "da": "Undskyld, jeg har fortrudt – jeg tager det en anden gang.",
            "ru": "Извините, планы поменялись, возьму в другой раз.",
            "es": "Perdona, he cambiado de idea, lo tomo otro día.",
            "en": "Sorry, I've changed my mind, another time.",
        },
        {
            "it": "Mi hanno invitato a pranzo, non mi serve più.",
            "da": "Jeg er blevet inviteret til frokost, så jeg skal ikke bruge det.",
            "ru": "Меня пригласили на обед, это уже не нужно.",
            "es": "Me han invitado a comer, ya no lo necesito.",
            "en": "I've been invited to lunch, so I won't need it.",
        },
    ),
    ReturnReason.DEFECT: (
        {
            "it": "Non era fresco, sapeva di vecchio.",
            "da": "Det var ikke friskt, det smagte gammelt.",
            "ru": "Было несвежее, со странным привкусом.",
            "es": "No estaba fresco, sabía a viejo.",
            "en": "It wasn't fresh, it tasted stale.",
        },
        {
            "it": "C'era un capello dentro.",
            "da": "Der var et hår i.",
            "ru": "Там был волос.",
            "es": "Tenía un pelo.",
            "en": "There was a hair in it.",
        },
    ),
    ReturnReason.WRONG_SIZE: (
        {
            "it": "Avevo chiesto quello piccolo, mi avete dato il grande.",
            "da": "Jeg bad om en lille, men fik en stor.",
            "ru": "Просили маленький, а дали большой.",
            "es": "Pedí el pequeño y me habéis dado el grande.",
            "en": "I asked for a small one and got a large.",
        },
        {
            "it": "Volevo la mezza porzione.",
            "da": "Jeg ville have en halv portion.",
            "ru": "Нужна была половина порции.",
            "es": "Quería media ración.",
            "en": "I wanted a half portion.",
        },
    ),
    ReturnReason.PUSHED: (
        {
            "it": "Mi avete convinto a prenderlo, ma non lo volevo davvero.",
            "da": "I fik mig overtalt til at tage det, men jeg ville egentlig ikke.",
            "ru": "Меня уговорили это взять, но мне это было не нужно.",
            "es": "Me convencisteis para cogerlo, pero en realidad no lo quería.",
            "en": "I was talked into it, but I didn't really want it.",
        },
    ),
    ReturnReason.OTHER: (
        {
            "it": "Era per una collega, ma oggi non è venuta.",
            "da": "Det var til en kollega, men hun kom ikke i dag.",
            "ru": "Это было для коллеги, но она сегодня не пришла.",
            "es": "Era para una compañera, pero hoy no ha venido.",
            "en": "It was for a colleague who didn't come in today.",
        },
    ),
}

# What staff say to the customer, in the customer's language: by kind ("": any other).
ACKNOWLEDGE: dict[str, Text] = {
    K.COMPLAINT: {
        "it": "Ci dispiace molto, ce ne occupiamo subito.",
        "da": "Det er vi virkelig kede af – vi tager os af det med det samme.",
        "ru": "Нам очень жаль, сейчас же разберёмся.",
        "es": "Lo sentimos mucho, nos ocupamos enseguida.",
        "en": "We're very sorry, we're on it right away.",
    },
    "": {
        "it": "Grazie, ci pensiamo noi e le facciamo sapere.",
        "da": "Tak, vi tager os af det og vender tilbage.",
        "ru": "Спасибо, мы займёмся этим и сообщим вам.",
        "es": "Gracias, nos encargamos y le decimos algo.",
        "en": "Thanks, we'll take care of it and let you know.",
    },
}
ASK: dict[str, Text] = {
    K.COMPLAINT: {
        "it": "Ci può mandare una foto dello scontrino?",
        "da": "Kan du sende et billede af bonen?",
        "ru": "Пришлите, пожалуйста, фото чека.",
        "es": "¿Nos puede mandar una foto del tique?",
        "en": "Could you send us a photo of the receipt?",
    },
    K.REQUEST: {
        "it": "Ci conferma giorno e ora?",
        "da": "Kan du bekræfte dag og tidspunkt?",
        "ru": "Подтвердите, пожалуйста, день и время.",
        "es": "¿Nos confirma el día y la hora?",
        "en": "Could you confirm the day and time?",
    },
    "": {
        "it": "Quando ripassa? Così guardiamo insieme.",
        "da": "Hvornår kommer du forbi, så vi kan kigge på det sammen?",
        "ru": "Когда вы зайдёте? Посмотрим вместе.",
        "es": "¿Cuándo se pasa? Así lo vemos juntos.",
        "en": "When will you next drop by, so we can look at it together?",
    },
}
DONE: dict[str, Text] = {
    K.COMPLAINT: {
        "it": "Il prossimo caffè lo offriamo noi. Grazie di avercelo detto.",
        "da": "Næste kop kaffe er på os. Tak fordi du sagde det.",
        "ru": "Следующий кофе за наш счёт. Спасибо, что сказали.",
        "es": "El próximo café corre de nuestra cuenta. Gracias por decírnoslo.",
        "en": "Your next coffee is on us. Thanks for telling us.",
    },
    K.REQUEST: {
        "it": "È tutto pronto, grazie della pazienza!",
        "da": "Så er det klar – tak for tålmodigheden!",
        "ru": "Всё готово, спасибо за терпение!",
        "es": "¡Ya está listo, gracias por la paciencia!",
        "en": "All done, thanks for your patience!",
    },
    K.REPAIR: {
        "it": "Abbiamo sistemato, grazie della segnalazione.",
        "da": "Det er ordnet – tak fordi du sagde til.",
        "ru": "Всё исправили, спасибо, что сообщили.",
        "es": "Ya está arreglado, gracias por avisar.",
        "en": "It's fixed now, thanks for letting us know.",
    },
}

# What staff write for each other, in the location's language (the owner in English).
NOTES: dict[str, tuple[Text, ...]] = {
    K.COMPLAINT: (
        {
            "it": "Parlato con chi era al banco quel giorno.",
            "da": "Har talt med dem, der stod i baren den dag.",
            "en": "Spoke to whoever was on the counter that day.",
        },
        {
            "it": "Cliente abituale: rimediamo bene.",
            "da": "Fast kunde – lad os gøre det godt igen.",
            "en": "A regular: let's make it right.",
        },
    ),
    K.REQUEST: (
        {
            "it": "Ordinato al fornitore, arriva giovedì.",
            "da": "Bestilt hos leverandøren, kommer torsdag.",
            "en": "Ordered from the supplier, arrives Thursday.",
        },
    ),
    K.REPAIR: (
        {
            "it": "Chiamato il tecnico, passa domani mattina.",
            "da": "Har ringet til håndværkeren, han kommer i morgen tidlig.",
            "en": "Called the repairman, coming tomorrow morning.",
        },
    ),
    K.QUESTION: (
        {
            "it": "Chiesto al fornitore, aspetto risposta.",
            "da": "Har spurgt leverandøren og venter på svar.",
            "en": "Asked the supplier, waiting to hear back.",
        },
    ),
}
HANDOVER: Text = {
    "it": "Cliente molto scontento: meglio se te ne occupi tu.",
    "da": "Kunden er meget utilfreds – det er bedst, du tager den.",
    "en": "Customer very unhappy: better if you take this one.",
}
APPROVAL: Text = {
    "it": "Rimborso sopra il mio limite: serve l'ok del responsabile.",
    "da": "Refusionen er over min grænse – chefen skal godkende.",
    "en": "Refund above my limit: needs the manager's OK.",
}
BACK_AGAIN: Text = {
    "it": "Il cliente è tornato: il problema c'è ancora.",
    "da": "Kunden kom igen: problemet er der stadig.",
    "en": "The customer came back: the problem is still there.",
}
CALL_BACK: Text = {
    "it": "Richiamare il cliente con una risposta",
    "da": "Ringe kunden op med et svar",
    "en": "Call the customer back with an answer",
}
BROKEN: Text = {
    "it": "Il fornitore ha consegnato in ritardo; cliente avvisato.",
    "da": "Leverandøren var forsinket; kunden er orienteret.",
    "en": "The supplier was late; customer told.",
}
# Promises made at the counter, with no ticket.
SET_ASIDE: tuple[Text, ...] = (
    {
        "it": "Tenere da parte due cornetti integrali per domattina",
        "da": "Gemme to tebirkes til i morgen tidlig",
        "en": "Keep two pastries aside for the morning",
    },
    {
        "it": "Richiamare per la torta del battesimo",
        "da": "Ringe tilbage om kagen til barnedåben",
        "en": "Call back about the christening cake",
    },
)
# How follow-ups turn out (outcome, weight, the note), still not happy last.
OUTCOMES: tuple[tuple[str, float, Text], ...] = (
    (
        FollowUpOutcome.ALL_RIGHT,
        75,
        {"it": "Tutto a posto, ringrazia.", "da": "Alt i orden, takkede.", "en": "All fine."},
    ),
    (
        FollowUpOutcome.UNREACHABLE,
        15,
        {"it": "Non risponde al telefono.", "da": "Tager ikke telefonen.", "en": "No answer."},
    ),
    (
        FollowUpOutcome.STILL_UNHAPPY,
        10,
        {
            "it": "Ancora scontento: è successo di nuovo.",
            "da": "Stadig utilfreds: det skete igen.",
            "en": "Still unhappy: it happened again.",
        },
    ),
)
