"""Built-in wording in Italian: formal (Lei) and informal (tu), worded so that neither
needs the customer's gender ("Gentile", "Ciao", no past participles about them)."""

from regulars.outreach.wording.texts import Frame, Greetings, Words

FRAME = Frame(
    greetings=Greetings(
        formal="Gentile {name},",
        informal="Ciao {name},",
        formal_nameless="Gentile cliente,",
        informal_nameless="Ciao,",
    ),
    signoff="Un caro saluto,",
    voucher=(
        "Un piccolo pensiero da parte nostra: {{ voucher.text }}. Basta mostrare il codice "
        "{{ voucher.code }} alla cassa: è valido fino al {{ voucher.valid_until }}."
    ),
    voucher_sms=(
        (
            "Un pensiero per Lei: {{ voucher.text }}. Codice {{ voucher.code }} da mostrare alla "
            "cassa entro il {{ voucher.valid_until }}."
        ),
        (
            "Un pensiero per te: {{ voucher.text }}. Codice {{ voucher.code }} da mostrare alla "
            "cassa entro il {{ voucher.valid_until }}."
        ),
    ),
    unsubscribe_email="Per non ricevere più le nostre e-mail basta un clic: {url}",
    unsubscribe_sms="Stop SMS: {url}",
    percent_off="uno sconto del {value}",
    amount_off="uno sconto di {value}",
    a_gift="un piccolo omaggio",
    occasions={
        "birthday": "compleanno",
        "name_day": "onomastico",
        "first_visit": "anniversario della prima visita",
        "household_birthday": "compleanno in famiglia",
        "pet_birthday": "compleanno di un amico a quattro zampe",
        "custom": "giorno speciale",
    },
    someone={"household_birthday": "una persona cara", "pet_birthday": "un amico a quattro zampe"},
)

_AGO = (
    "{% if years > 1 %}Sono già passati {{ years }} anni{% else %}È già passato un anno{% endif %}"
)

WORDS = {
    "birthday": Words(
        subject="Buon compleanno da {{ business }}",
        text=(
            (
                "Buon compleanno! Tutti noi di {{ business }} Le auguriamo una splendida giornata "
                "e un anno pieno di belle cose."
            ),
            (
                "Buon compleanno! Tutti noi di {{ business }} ti auguriamo una splendida giornata "
                "e un anno pieno di belle cose."
            ),
        ),
        sms="Buon compleanno, {{ name }}! Tanti auguri da tutti noi di {{ business }}.",
    ),
    "name_day": Words(
        subject="Buon onomastico!",
        text=(
            (
                "Buon onomastico! Non volevamo lasciar passare questa giornata speciale senza "
                "farLe i nostri più sinceri auguri."
            ),
            (
                "Buon onomastico! Non volevamo lasciar passare questa giornata speciale senza "
                "farti i nostri più sinceri auguri."
            ),
        ),
        sms="Buon onomastico, {{ name }}! Tanti auguri da {{ business }}.",
    ),
    "first_visit": Words(
        subject=(
            "Grazie per {% if years > 1 %}questi {{ years }} anni{% else %}questo primo anno"
            "{% endif %}!"
        ),
        text=(
            _AGO + " dalla Sua prima visita da {{ business }}. Grazie di cuore per la "
            "fiducia: per noi significa molto.",
            _AGO + " dalla tua prima visita da {{ business }}. Grazie di cuore per la "
            "fiducia: per noi significa molto.",
        ),
        sms=(
            "{{ name }}, {% if years > 1 %}sono già {{ years }} anni{% else %}è già un anno"
            "{% endif %} dalla prima visita da {{ business }}. Grazie di cuore!"
        ),
    ),
    "household_birthday": Words(
        subject="Buon compleanno a {{ occasion_name }}!",
        text=(
            (
                "C'è un compleanno in famiglia: tanti auguri a {{ occasion_name }}! Porti i "
                "nostri auguri più calorosi da parte di tutti noi di {{ business }}."
            ),
            (
                "C'è un compleanno in famiglia: tanti auguri a {{ occasion_name }}! Porta i "
                "nostri auguri più calorosi da parte di tutti noi di {{ business }}."
            ),
        ),
        sms=(
            (
                "Tanti auguri a {{ occasion_name }}, {{ name }}! Porti i nostri auguri più cari da"
                " parte di {{ business }}."
            ),
            (
                "Tanti auguri a {{ occasion_name }}, {{ name }}! Porta i nostri auguri più cari da"
                " parte di {{ business }}."
            ),
        ),
    ),
    "pet_birthday": Words(
        subject="Buon compleanno, {{ occasion_name }}!",
        text=(
            "Buon compleanno a {{ occasion_name }}! Ci auguriamo che ci siano coccole e "
            "premietti in abbondanza. Un abbraccio da tutti noi di {{ business }}."
        ),
        sms=(
            "{{ name }}, buon compleanno a {{ occasion_name }}! Coccole e premietti in "
            "abbondanza da "
            "tutti noi di {{ business }}."
        ),
    ),
    "custom": Words(
        subject="Tanti auguri da {{ business }}",
        text=(
            (
                "Per un giorno speciale – {{ occasion_name }} – volevamo farLe i nostri migliori "
                "auguri."
            ),
            (
                "Per un giorno speciale – {{ occasion_name }} – volevamo farti i nostri migliori "
                "auguri."
            ),
        ),
        sms=(
            "{{ name }}, i migliori auguri da {{ business }} per un giorno speciale: {{ "
            "occasion_name }}."
        ),
    ),
    "welcome": Words(
        subject="Grazie per la visita!",
        text=(
            (
                "Grazie per la Sua visita. Speriamo che Le sia piaciuta: sarà un piacere "
                "rivederLa quando vorrà."
            ),
            (
                "Grazie per la tua visita. Speriamo che ti sia piaciuto stare da noi: sarà un "
                "piacere rivederti quando vorrai."
            ),
        ),
        sms=(
            "Grazie per la visita, {{ name }}! Sarà un piacere rivederLa da {{ business }}.",
            "Grazie per la visita, {{ name }}! Sarà un piacere rivederti da {{ business }}.",
        ),
    ),
    "checkin": Words(
        subject="Un saluto da {{ business }}",
        text=(
            (
                "È da un po' che non La vediamo e volevamo semplicemente salutarLa. Speriamo "
                "che vada tutto bene: quando avrà voglia di passare, saremo felici di rivederLa."
            ),
            (
                "È da un po' che non ti vediamo e volevamo semplicemente salutarti. Speriamo "
                "che vada tutto bene: quando avrai voglia di passare, saremo felici di rivederti."
            ),
        ),
        sms=(
            (
                "{{ name }}, è da un po' che non La vediamo: speriamo che vada tutto bene! Un "
                "saluto da {{ business }}."
            ),
            (
                "{{ name }}, è da un po' che non ti vediamo: speriamo che vada tutto bene! Un "
                "saluto da {{ business }}."
            ),
        ),
    ),
    "winback": Words(
        subject=("Ci manca!", "Ci manchi!"),
        text=(
            (
                "È passato un po' di tempo dalla Sua ultima visita e ci manca. Se qualcosa non "
                "è andato come doveva, ci farebbe piacere saperlo. La nostra porta è sempre "
                "aperta."
            ),
            (
                "È passato un po' di tempo dalla tua ultima visita e ci manchi. Se qualcosa non "
                "è andato come doveva, ci farebbe piacere saperlo. La nostra porta è sempre "
                "aperta."
            ),
        ),
        sms=(
            "Ci manca, {{ name }}! La porta di {{ business }} è sempre aperta.",
            "Ci manchi, {{ name }}! La porta di {{ business }} è sempre aperta.",
        ),
    ),
    "recovery": Words(
        subject="Ci dispiace",
        text=(
            (
                "Ci dispiace che la Sua ultima visita non sia stata all'altezza. Grazie per "
                "avercelo detto: lo abbiamo preso a cuore e vorremmo rimediare."
            ),
            (
                "Ci dispiace che la tua ultima visita non sia stata all'altezza. Grazie per "
                "avercelo detto: lo abbiamo preso a cuore e vorremmo rimediare."
            ),
        ),
        sms=(
            "{{ name }}, ci dispiace che l'ultima visita da {{ business }} non sia stata "
            "all'altezza. Grazie per avercelo detto: vorremmo rimediare."
        ),
    ),
    "thankyou": Words(
        subject="Grazie, {{ name }}!",
        text=(
            (
                'Ci ha già fatto visita {{ visits }} {{ visits|plural:"volta,volte" }}: grazie! '
                "Sono i clienti come Lei a rendere speciale {{ business }}."
            ),
            (
                'Ci hai già fatto visita {{ visits }} {{ visits|plural:"volta,volte" }}: grazie! '
                "Sono i clienti come te a rendere speciale {{ business }}."
            ),
        ),
        sms="{{ name }}, {{ visits }} visite da {{ business }}: grazie di cuore!",
    ),
}
