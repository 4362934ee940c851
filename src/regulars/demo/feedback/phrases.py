"""What the demo's customers write in their survey answers, and what managers note
while making things right, as tables: data, not interface strings (nothing here goes
through the catalogues).

Customers write in their own language (it, da, ru, es, en); managers note remedies in
the location's language (it, da) or English. ``catalogue.say`` falls back to English.
Every comment fits the score it comes with: praise for the happy, a mild "but" for the
middling, a complaint about one thing (``COMPLAINTS``, keyed by the comment analysis'
topic it is about) for the unhappy.
"""

from __future__ import annotations

from regulars.demo.catalogue import Text

PRAISE: tuple[Text, ...] = (
    {
        "en": "The staff are always so friendly.",
        "it": "Il personale è sempre gentilissimo.",
        "da": "Personalet er altid så venligt.",
        "ru": "Персонал всегда очень приветливый.",
        "es": "El personal siempre es muy amable.",
    },
    {
        "en": "Best cappuccino in town.",
        "it": "Il miglior cappuccino della città.",
        "da": "Byens bedste cappuccino.",
        "ru": "Лучший капучино в городе.",
        "es": "El mejor capuchino de la ciudad.",
    },
    {
        "en": "They remembered my usual order, lovely.",
        "it": "Si ricordano sempre cosa prendo, che bello.",
        "da": "De huskede min faste bestilling, dejligt.",
        "ru": "Помнят мой обычный заказ, очень приятно.",
        "es": "Se acordaron de lo que tomo siempre, qué detalle.",
    },
    {
        "en": "Quick service even at the morning rush.",
        "it": "Servizio veloce anche nell'ora di punta.",
        "da": "Hurtig betjening selv i morgentravlheden.",
        "ru": "Быстрое обслуживание даже в утренний час пик.",
        "es": "Servicio rápido incluso en la hora punta.",
    },
    {
        "en": "A clean and cosy place, I love coming here.",
        "it": "Locale pulito e accogliente, ci torno volentieri.",
        "da": "Et rent og hyggeligt sted, jeg kommer gerne her.",
        "ru": "Чисто и уютно, всегда с удовольствием захожу.",
        "es": "Un sitio limpio y acogedor, me encanta venir.",
    },
    {
        "en": "The pastries were fresh and delicious.",
        "it": "Cornetti freschi e buonissimi.",
        "da": "Kagerne var friske og lækre.",
        "ru": "Выпечка свежая и очень вкусная.",
        "es": "La bollería estaba fresca y buenísima.",
    },
    {
        "en": "Great coffee at a fair price.",
        "it": "Ottimo caffè a un prezzo onesto.",
        "da": "God kaffe til en fair pris.",
        "ru": "Отличный кофе по честной цене.",
        "es": "Café excelente a buen precio.",
    },
    {
        "en": "Everything was perfect, thank you!",
        "it": "Tutto perfetto, grazie!",
        "da": "Alt var perfekt, tak!",
        "ru": "Всё было отлично, спасибо!",
        "es": "¡Todo perfecto, gracias!",
    },
)

# Middling: something good, something not quite.
MIXED: tuple[Text, ...] = (
    {
        "en": "Good coffee, but the wait at lunch was long.",
        "it": "Buon caffè, ma a pranzo l'attesa era lunga.",
        "da": "God kaffe, men ventetiden til frokost var lang.",
        "ru": "Кофе хороший, но в обед пришлось долго ждать.",
        "es": "Buen café, pero a mediodía la espera fue larga.",
    },
    {
        "en": "Nice place, though a bit expensive.",
        "it": "Bel posto, anche se un po' caro.",
        "da": "Dejligt sted, selvom det er lidt dyrt.",
        "ru": "Приятное место, хотя немного дорого.",
        "es": "Buen sitio, aunque un poco caro.",
    },
    {
        "en": "Friendly staff, but the tables were not clean.",
        "it": "Personale gentile, ma i tavoli non erano puliti.",
        "da": "Venligt personale, men bordene var ikke rene.",
        "ru": "Персонал приветливый, но столики были грязные.",
        "es": "Personal amable, pero las mesas no estaban limpias.",
    },
    {
        "en": "It was fine, nothing special.",
        "it": "Tutto nella norma, niente di speciale.",
        "da": "Det var fint, ikke noget særligt.",
        "ru": "Нормально, ничего особенного.",
        "es": "Estuvo bien, nada especial.",
    },
    {
        "en": "The coffee was good, the pastry a bit dry.",
        "it": "Il caffè era buono, il cornetto un po' secco.",
        "da": "Kaffen var god, kagen lidt tør.",
        "ru": "Кофе хороший, а круассан суховат.",
        "es": "El café estaba bueno, el cruasán un poco seco.",
    },
)

# Unhappy, by what it is about (the comment analysis' topic keys).
COMPLAINTS: dict[str, tuple[Text, ...]] = {
    "waiting": (
        {
            "en": "I waited almost twenty minutes to be served.",
            "it": "Ho aspettato quasi venti minuti per essere servito.",
            "da": "Jeg ventede næsten tyve minutter på at blive betjent.",
            "ru": "Я ждал обслуживания почти двадцать минут.",
            "es": "Esperé casi veinte minutos a que me atendieran.",
        },
        {
            "en": "Far too slow, only one person at the counter.",
            "it": "Troppo lenti, una sola persona al banco.",
            "da": "Alt for langsomt, kun én person ved disken.",
            "ru": "Слишком медленно, за стойкой был один человек.",
            "es": "Demasiado lentos, solo una persona en la barra.",
        },
    ),
    "price": (
        {
            "en": "Much too expensive for what you get.",
            "it": "Troppo caro per quello che offrono.",
            "da": "Alt for dyrt for det, man får.",
            "ru": "Слишком дорого за такое качество.",
            "es": "Demasiado caro para lo que ofrecen.",
        },
        {
            "en": "Prices went up again, I am not happy.",
            "it": "I prezzi sono aumentati di nuovo, non sono contento.",
            "da": "Priserne er steget igen, det er jeg ikke glad for.",
            "ru": "Цены опять выросли, я недоволен.",
            "es": "Han vuelto a subir los precios, no estoy contento.",
        },
    ),
    "staff_friendliness": (
        {
            "en": "The staff were rude and unfriendly.",
            "it": "Il personale è stato scortese e antipatico.",
            "da": "Personalet var uhøfligt og uvenligt.",
            "ru": "Персонал был грубым и неприветливым.",
            "es": "El personal fue grosero y antipático.",
        },
        {
            "en": "Nobody said hello, I felt ignored.",
            "it": "Nessuno mi ha salutato, mi sono sentito ignorato.",
            "da": "Ingen sagde hej, jeg følte mig overset.",
            "ru": "Никто даже не поздоровался, меня просто игнорировали.",
            "es": "Nadie me saludó, me sentí ignorado.",
        },
    ),
    "pushy_selling": (
        {
            "en": "They kept pushing me to buy extras I did not want.",
            "it": "Hanno insistito per vendermi cose che non volevo.",
            "da": "De blev ved med at presse mig til at købe ekstra.",
            "ru": "Мне настойчиво навязывали то, что я не хотел.",
            "es": "Insistieron en venderme cosas que no quería.",
        },
    ),
    "returns": (
        {
            "en": "Returning the coffee beans I bought was a hassle.",
            "it": "Restituire il caffè in grani che avevo comprato è stato un incubo.",
            "da": "Det var besværligt at returnere de kaffebønner, jeg havde købt.",
            "ru": "Вернуть купленный кофе в зёрнах оказалось очень сложно.",
            "es": "Devolver el café en grano que compré fue un lío.",
        },
    ),
    "cleanliness": (
        {
            "en": "The toilets were dirty and the floor sticky.",
            "it": "Il bagno era sporco e il pavimento appiccicoso.",
            "da": "Toilettet var beskidt og gulvet klistret.",
            "ru": "В туалете было грязно, пол липкий.",
            "es": "El baño estaba sucio y el suelo pegajoso.",
        },
    ),
    "product_quality": (
        {
            "en": "My coffee was cold and bitter.",
            "it": "Il caffè era freddo e amaro.",
            "da": "Min kaffe var kold og bitter.",
            "ru": "Кофе был холодный и горький.",
            "es": "El café estaba frío y amargo.",
        },
    ),
    "reliability": (
        {
            "en": "They got my order wrong twice.",
            "it": "Hanno sbagliato il mio ordine due volte.",
            "da": "De tog fejl af min bestilling to gange.",
            "ru": "Мой заказ дважды перепутали.",
            "es": "Se equivocaron con mi pedido dos veces.",
        },
    ),
}
# How often each complaint comes up, before what happened at the visit weighs in.
COMPLAINT_WEIGHTS: dict[str, float] = {
    "waiting": 3.0,
    "price": 2.0,
    "staff_friendliness": 1.2,
    "pushy_selling": 0.7,
    "returns": 0.5,
    "cleanliness": 1.0,
    "product_quality": 1.5,
    "reliability": 1.0,
}

# After a resolved request: how easy it was.
REQUEST_EASY: tuple[Text, ...] = (
    {
        "en": "Sorted out quickly, thank you.",
        "it": "Risolto in fretta, grazie.",
        "da": "Løst hurtigt, tak.",
        "ru": "Всё решили быстро, спасибо.",
        "es": "Lo resolvieron rápido, gracias.",
    },
    {
        "en": "They called me back the same day, very helpful.",
        "it": "Mi hanno richiamato il giorno stesso, molto disponibili.",
        "da": "De ringede tilbage samme dag, meget hjælpsomme.",
        "ru": "Мне перезвонили в тот же день, очень помогли.",
        "es": "Me llamaron el mismo día, muy atentos.",
    },
)
REQUEST_HARD: tuple[Text, ...] = (
    {
        "en": "I had to explain the problem three times.",
        "it": "Ho dovuto spiegare il problema tre volte.",
        "da": "Jeg måtte forklare problemet tre gange.",
        "ru": "Пришлось объяснять проблему три раза.",
        "es": "Tuve que explicar el problema tres veces.",
    },
    {
        "en": "It took far too long to get an answer.",
        "it": "Ci è voluto troppo tempo per avere una risposta.",
        "da": "Det tog alt for lang tid at få svar.",
        "ru": "Ответа пришлось ждать слишком долго.",
        "es": "Tardaron demasiado en darme una respuesta.",
    },
)

# Asked again after a recovery, and happy.
WON_BACK: Text = {
    "en": "Thank you for calling me, all good now.",
    "it": "Grazie per avermi chiamato, ora è tutto a posto.",
    "da": "Tak fordi I ringede, alt er godt nu.",
    "ru": "Спасибо за звонок, теперь всё хорошо.",
    "es": "Gracias por llamarme, ahora todo bien.",
}

# The business's own question, asked after the visit survey's instruments.
REMEMBERED: Text = {
    "en": "Did we remember what you like?",
    "it": "Ci siamo ricordati di quello che ti piace?",
    "da": "Huskede vi, hvad du kan lide?",
    "ru": "Мы помнили, что вам нравится?",
    "es": "¿Nos acordamos de lo que te gusta?",
}

# What managers gave to make it right, in the language they write notes in.
REMEDIES: tuple[Text, ...] = (
    {
        "en": "A coffee and a pastry on the house",
        "it": "Caffè e cornetto offerti",
        "da": "Kaffe og wienerbrød på huset",
    },
    {"en": "Money back", "it": "Rimborso dell'importo", "da": "Pengene tilbage"},
    {
        "en": "A voucher for the next breakfast",
        "it": "Buono per la prossima colazione",
        "da": "Gavekort til næste morgenmad",
    },
    {
        "en": "An apology from the manager and a cake",
        "it": "Scuse del responsabile e una torta in omaggio",
        "da": "Undskyldning fra chefen og en kage",
    },
)
CALLED: Text = {
    "en": "Called them and apologised.",
    "it": "Chiamato, ci siamo scusati.",
    "da": "Ringet op og sagt undskyld.",
}
GONE: Text = {
    "en": "Does not want to come back.",
    "it": "Non vuole più tornare.",
    "da": "Vil ikke komme igen.",
}
