"""Built-in wording in English (one register: the same words for everyone)."""

from regulars.outreach.wording.texts import Frame, Greetings, Words

FRAME = Frame(
    greetings=Greetings(
        formal="Dear {name},",
        informal="Hi {name},",
        formal_nameless="Hello,",
        informal_nameless="Hi,",
    ),
    signoff="Warm wishes,",
    voucher=(
        "A little something from us: {{ voucher.text }}. Just show the code "
        "{{ voucher.code }} at the counter – it is valid until {{ voucher.valid_until }}."
    ),
    voucher_sms=(
        "A gift for you: {{ voucher.text }}. Show code {{ voucher.code }} at the counter "
        "by {{ voucher.valid_until }}."
    ),
    unsubscribe_email="Rather not hear from us by e-mail? Unsubscribe with one click: {url}",
    unsubscribe_sms="Stop texts: {url}",
    percent_off="{value} off",
    amount_off="{value} off",
    a_gift="a small treat",
    occasions={
        "birthday": "birthday",
        "name_day": "name day",
        "first_visit": "anniversary of your first visit",
        "household_birthday": "birthday in the family",
        "pet_birthday": "pet's birthday",
        "custom": "special day",
    },
    someone={"household_birthday": "someone special", "pet_birthday": "your pet"},
)

_YEARS = "{% if years > 1 %}{{ years }} years{% else %}a year{% endif %}"

WORDS = {
    "birthday": Words(
        subject="Happy birthday from {{ business }}",
        text=(
            "Happy birthday! Everyone at {{ business }} wishes you a wonderful day and a "
            "year full of good things."
        ),
        sms="Happy birthday, {{ name }}! Warm wishes from everyone at {{ business }}.",
    ),
    "name_day": Words(
        subject="Happy name day!",
        text=(
            "Happy name day! We didn't want your special day to pass without sending you "
            "our very best wishes."
        ),
        sms="Happy name day, {{ name }}! Best wishes from {{ business }}.",
    ),
    "first_visit": Words(
        subject="Thank you for " + _YEARS + "!",
        text=(
            "It's " + _YEARS + " since you first came to {{ business }}. Thank you for "
            "every visit since – it means a lot to us."
        ),
        sms=(
            "{{ name }}, it's " + _YEARS + " since your first visit to {{ business }}. "
            "Thank you for every one since!"
        ),
    ),
    "household_birthday": Words(
        subject="Happy birthday to {{ occasion_name }}!",
        text=(
            "There's a birthday in the family: happy birthday to {{ occasion_name }}! "
            "Please pass on our warmest wishes from everyone at {{ business }}."
        ),
        sms=(
            "Happy birthday to {{ occasion_name }}, {{ name }}! Please pass on warm wishes from "
            "all of us at {{ business }}."
        ),
    ),
    "pet_birthday": Words(
        subject="Happy birthday, {{ occasion_name }}!",
        text=(
            "Happy birthday to {{ occasion_name }}! We hope there are extra treats and "
            "plenty of cuddles. Warm wishes from all of us at {{ business }}."
        ),
        sms=(
            "{{ name }}, happy birthday to {{ occasion_name }}! Extra treats all round, from "
            "all of us "
            "at {{ business }}."
        ),
    ),
    "custom": Words(
        subject="Best wishes from {{ business }}",
        text=(
            "For a special day – {{ occasion_name }} – we wanted to send you our very best wishes."
        ),
        sms=(
            "{{ name }}, our very best wishes from {{ business }} for a special day: {{ "
            "occasion_name }}."
        ),
    ),
    "welcome": Words(
        subject="Thank you for your visit!",
        text=(
            "Thank you for coming to see us. We hope you felt at home, and it would be "
            "lovely to see you again whenever you like."
        ),
        sms="Thank you for visiting {{ business }}, {{ name }}! Lovely to meet you.",
    ),
    "checkin": Words(
        subject="Hello from {{ business }}",
        text=(
            "We haven't seen you for a while and just wanted to say hello. We hope all is "
            "well with you – whenever you feel like dropping by, we'll be glad to see you."
        ),
        sms=(
            "Hello {{ name }}, it's been a while – we hope all is well! Always glad to see "
            "you at {{ business }}."
        ),
    ),
    "winback": Words(
        subject="We miss you",
        text=(
            "It has been a while since we last saw you, and we miss you. If anything "
            "wasn't quite right, we'd love to hear about it. Our door is always open."
        ),
        sms="We miss you, {{ name }}! The door at {{ business }} is always open.",
    ),
    "recovery": Words(
        subject="We're sorry",
        text=(
            "We're sorry that your last visit was not what it should have been. Thank you "
            "for telling us – we have taken it to heart, and we would like to make it up "
            "to you."
        ),
        sms=(
            "{{ name }}, we're sorry your last visit fell short. Thank you for telling us – all of"
            " us at {{ business }} would like to make it right."
        ),
    ),
    "thankyou": Words(
        subject="Thank you, {{ name }}!",
        text=(
            'You have now been to see us {{ visits }} {{ visits|plural:"time,times" }} – '
            "thank you! Regulars like you are what make {{ business }} special."
        ),
        sms="{{ visits }} visits – thank you, {{ name }}! You help make {{ business }} special.",
    ),
}
