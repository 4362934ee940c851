"""Built-in wording in Spanish (Spain): formal (usted) and informal (tú). The formal
opening agrees with a title when there is one ("Estimada Sra. García:"); otherwise
nothing needs the customer's gender."""

from regulars.outreach.wording.texts import Frame, Greetings, Words

FRAME = Frame(
    greetings=Greetings(
        formal="Hola, {name}:",
        informal="¡Hola, {name}!",
        formal_nameless="Hola:",
        informal_nameless="¡Hola!",
        feminine="Estimada {name}:",
        masculine="Estimado {name}:",
    ),
    signoff=("Un cordial saludo,", "Un abrazo,"),
    voucher=(
        (
            "Un pequeño detalle de nuestra parte: {{ voucher.text }}. Solo tiene que mostrar el "
            "código {{ voucher.code }} en el mostrador; es válido hasta el "
            "{{ voucher.valid_until }}."
        ),
        (
            "Un pequeño detalle de nuestra parte: {{ voucher.text }}. Solo tienes que mostrar el "
            "código {{ voucher.code }} en el mostrador; es válido hasta el "
            "{{ voucher.valid_until }}."
        ),
    ),
    voucher_sms=(
        "Un regalo: {{ voucher.text }}. Código {{ voucher.code }} en el mostrador, válido "
        "hasta el {{ voucher.valid_until }}."
    ),
    unsubscribe_email="Para dejar de recibir nuestros correos, basta con un clic: {url}",
    unsubscribe_sms="Baja de SMS: {url}",
    percent_off="un {value} de descuento",
    amount_off="un descuento de {value}",
    a_gift="un pequeño obsequio",
    occasions={
        "birthday": "cumpleaños",
        "name_day": "santo",
        "first_visit": "aniversario de la primera visita",
        "household_birthday": "cumpleaños en la familia",
        "pet_birthday": "cumpleaños de la mascota",
        "custom": "día especial",
    },
    someone={"household_birthday": "alguien muy especial", "pet_birthday": "la mascota"},
)

_AGO = "{% if years > 1 %}han pasado {{ years }} años{% else %}ha pasado un año{% endif %}"

WORDS = {
    "birthday": Words(
        subject="¡Feliz cumpleaños!",
        text=(
            (
                "¡Feliz cumpleaños! Todo el equipo de {{ business }} le desea un día maravilloso "
                "y un año lleno de cosas buenas."
            ),
            (
                "¡Feliz cumpleaños! Todo el equipo de {{ business }} te desea un día maravilloso "
                "y un año lleno de cosas buenas."
            ),
        ),
        sms=(
            "¡Feliz cumpleaños, {{ name }}! Un saludo cariñoso de todo el equipo de {{ business }}."
        ),
    ),
    "name_day": Words(
        subject="¡Feliz santo!",
        text=(
            (
                "¡Feliz santo! No queríamos dejar pasar un día tan especial sin enviarle nuestros "
                "mejores deseos."
            ),
            (
                "¡Feliz santo! No queríamos dejar pasar un día tan especial sin enviarte nuestros "
                "mejores deseos."
            ),
        ),
        sms="¡Feliz santo, {{ name }}! Nuestros mejores deseos de parte de {{ business }}.",
    ),
    "first_visit": Words(
        subject=(
            "¡Gracias por {% if years > 1 %}estos {{ years }} años{% else %}este año{% endif %}!"
        ),
        text=(
            "Ya " + _AGO + " desde su primera visita a {{ business }}. Gracias por cada "
            "visita desde entonces: significa mucho para nosotros.",
            "Ya " + _AGO + " desde tu primera visita a {{ business }}. Gracias por cada "
            "visita desde entonces: significa mucho para nosotros.",
        ),
        sms=(
            "{{ name }}, ¡ya hace {% if years > 1 %}{{ years }} años{% else %}un año"
            "{% endif %} de la primera visita a {{ business }}! Gracias por cada una."
        ),
    ),
    "household_birthday": Words(
        subject="¡Feliz cumpleaños, {{ occasion_name }}!",
        text=(
            (
                "Hay un cumpleaños en la familia: ¡felicidades a {{ occasion_name }}! Hágale "
                "llegar nuestros mejores deseos de parte de todo el equipo de {{ business }}."
            ),
            (
                "Hay un cumpleaños en la familia: ¡felicidades a {{ occasion_name }}! Hazle "
                "llegar nuestros mejores deseos de parte de todo el equipo de {{ business }}."
            ),
        ),
        sms=(
            (
                "¡Felicidades a {{ occasion_name }} en su cumpleaños, {{ name }}! Hágale llegar "
                "nuestros mejores deseos de parte de {{ business }}."
            ),
            (
                "¡Felicidades a {{ occasion_name }} en su cumpleaños, {{ name }}! Hazle llegar "
                "nuestros mejores deseos de parte de {{ business }}."
            ),
        ),
    ),
    "pet_birthday": Words(
        subject="¡Feliz cumpleaños, {{ occasion_name }}!",
        text=(
            "¡Feliz cumpleaños a {{ occasion_name }}! Esperamos que haya premios extra y "
            "muchos mimos. Un abrazo de todo el equipo de {{ business }}."
        ),
        sms=(
            "{{ name }}, ¡feliz cumpleaños a {{ occasion_name }}! Premios extra y muchos mimos"
            " de parte "
            "de {{ business }}."
        ),
    ),
    "custom": Words(
        subject="Nuestros mejores deseos de parte de {{ business }}",
        text=(
            (
                "Con motivo de un día especial —{{ occasion_name }}— queríamos enviarle nuestros "
                "mejores deseos."
            ),
            (
                "Con motivo de un día especial —{{ occasion_name }}— queríamos enviarte nuestros "
                "mejores deseos."
            ),
        ),
        sms=(
            "{{ name }}, nuestros mejores deseos de parte de {{ business }} en un día especial: {{"
            " occasion_name }}."
        ),
    ),
    "welcome": Words(
        subject=("¡Gracias por su visita!", "¡Gracias por tu visita!"),
        text=(
            (
                "Gracias por venir a vernos. Esperamos que se haya sentido como en casa; será un "
                "placer volver a verle cuando quiera."
            ),
            (
                "Gracias por venir a vernos. Esperamos que te hayas sentido como en casa; será un "
                "placer volver a verte cuando quieras."
            ),
        ),
        sms=(
            "¡Gracias por su visita a {{ business }}, {{ name }}! Será un placer volver a verle.",
            "¡Gracias por tu visita a {{ business }}, {{ name }}! Será un placer volver a verte.",
        ),
    ),
    "checkin": Words(
        subject="Un saludo de {{ business }}",
        text=(
            (
                "Hace tiempo que no le vemos y solo queríamos saludarle. Esperamos que esté todo "
                "bien; cuando le apetezca pasar, estaremos encantados de verle."
            ),
            (
                "Hace tiempo que no te vemos y solo queríamos saludarte. Esperamos que esté todo "
                "bien; cuando te apetezca pasar, estaremos encantados de verte."
            ),
        ),
        sms=(
            (
                "{{ name }}, hace tiempo que no le vemos: ¡esperamos que esté todo bien! Siempre "
                "será un placer verle en {{ business }}."
            ),
            (
                "{{ name }}, hace tiempo que no te vemos: ¡esperamos que esté todo bien! Siempre "
                "será un placer verte en {{ business }}."
            ),
        ),
    ),
    "winback": Words(
        subject=("Le echamos de menos", "Te echamos de menos"),
        text=(
            (
                "Ha pasado un tiempo desde su última visita y le echamos de menos. Si algo no "
                "estuvo a la altura, nos encantaría saberlo. Nuestras puertas siempre están "
                "abiertas."
            ),
            (
                "Ha pasado un tiempo desde tu última visita y te echamos de menos. Si algo no "
                "estuvo a la altura, nos encantaría saberlo. Nuestras puertas siempre están "
                "abiertas."
            ),
        ),
        sms=(
            (
                "¡Le echamos de menos, {{ name }}! Las puertas de {{ business }} siempre están "
                "abiertas."
            ),
            (
                "¡Te echamos de menos, {{ name }}! Las puertas de {{ business }} siempre están "
                "abiertas."
            ),
        ),
    ),
    "recovery": Words(
        subject="Lo sentimos",
        text=(
            (
                "Sentimos mucho que su última visita no estuviera a la altura. Gracias por "
                "contárnoslo: nos lo hemos tomado muy en serio y queremos compensárselo."
            ),
            (
                "Sentimos mucho que tu última visita no estuviera a la altura. Gracias por "
                "contárnoslo: nos lo hemos tomado muy en serio y queremos compensártelo."
            ),
        ),
        sms=(
            "{{ name }}, sentimos que la última visita a {{ business }} no estuviera a la altura. "
            "Gracias por decírnoslo: queremos arreglarlo."
        ),
    ),
    "thankyou": Words(
        subject="¡Gracias, {{ name }}!",
        text=(
            (
                'Ya nos ha visitado {{ visits }} {{ visits|plural:"vez,veces" }}: ¡gracias! '
                "Clientes como usted son los que hacen especial {{ business }}."
            ),
            (
                'Ya nos has visitado {{ visits }} {{ visits|plural:"vez,veces" }}: ¡gracias! '
                "Clientes como tú son los que hacen especial {{ business }}."
            ),
        ),
        sms="{{ name }}, ¡{{ visits }} visitas a {{ business }}! Muchas gracias.",
    ),
}
