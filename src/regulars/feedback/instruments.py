"""The survey instruments, in our own wording: CSAT, NPS, CES and a five-dimension
service-quality survey (what the customer expects of a business like this against what
they experienced here, 7-point scales, plus how important each dimension is to them:
100 points shared out).

The wording is translated like every user-facing text (``gettext_lazy``); the survey
page shows it in the customer's language. Items are addressed by (dimension, number);
the numbers are stable, so answers stay comparable when wording is polished.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Instrument(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT, 1–5)")
    NPS = "nps", _("Recommendation (NPS, 0–10)")
    CES = "ces", _("Effort (CES, 1–7)")
    QUALITY = "quality", _("Service quality in five dimensions")


class Dimension(models.TextChoices):
    RELIABILITY = "reliability", _("Reliability")
    RESPONSIVENESS = "responsiveness", _("Responsiveness and flexibility")
    ASSURANCE = "assurance", _("Assurance and trust")
    EMPATHY = "empathy", _("Empathy")
    TANGIBLES = "tangibles", _("Tangibles and aesthetics")


DIMENSIONS: tuple[str, ...] = tuple(Dimension.values)

# Scale bounds per instrument (inclusive).
SCALES: dict[str, tuple[int, int]] = {
    Instrument.CSAT: (1, 5),
    Instrument.NPS: (0, 10),
    Instrument.CES: (1, 7),
    Instrument.QUALITY: (1, 7),
}
IMPORTANCE_TOTAL = 100  # points shared out between the five dimensions

# Who counts as a detractor (opens a service recovery): NPS 0–6 or CSAT 1–2.
NPS_DETRACTOR_MAX = 6
CSAT_DETRACTOR_MAX = 2


@dataclass(frozen=True)
class Item:
    dimension: str
    number: int
    expectation: LazyText  # what a customer expects of a business like this
    perception: LazyText  # what they experienced here

    @property
    def key(self) -> str:
        return f"{self.dimension}.{self.number}"


QUESTIONS: dict[str, LazyText] = {
    Instrument.CSAT: _("Overall, how satisfied are you with your visit?"),
    Instrument.NPS: _("How likely is it that you would recommend us to a friend or colleague?"),
    Instrument.CES: _("How easy was it to get what you came for?"),
}
WHY = _("What is the main reason for your score?")
COMMENT = _("Anything else you would like to tell us?")
IMPORTANCE = _(
    "How important is each of these to you? Share out 100 points: more points for what "
    "matters more."
)

# Scale anchors shown at both ends of each scale.
ANCHORS: dict[str, tuple[LazyText, LazyText]] = {
    Instrument.CSAT: (_("Very dissatisfied"), _("Very satisfied")),
    Instrument.NPS: (_("Not at all likely"), _("Extremely likely")),
    Instrument.CES: (_("Very difficult"), _("Very easy")),
    Instrument.QUALITY: (_("Strongly disagree"), _("Strongly agree")),
}

# The importance question names each dimension in plain words.
DIMENSION_PLAIN: dict[str, LazyText] = {
    Dimension.RELIABILITY: _("Doing what was promised, right the first time"),
    Dimension.RESPONSIVENESS: _("Prompt service and willingness to adapt to what I need"),
    Dimension.ASSURANCE: _("Staff who know their job and whom I can trust"),
    Dimension.EMPATHY: _("Being treated as a person, with individual attention"),
    Dimension.TANGIBLES: _("A place, products and people that look and feel right"),
}

ITEMS: tuple[Item, ...] = (
    Item(
        Dimension.RELIABILITY,
        1,
        _("A business like this does what it promises, when it promises."),
        _("Here they did what they promised, when they promised."),
    ),
    Item(
        Dimension.RELIABILITY,
        2,
        _("A business like this gets things right the first time."),
        _("Here they got things right the first time."),
    ),
    Item(
        Dimension.RELIABILITY,
        3,
        _("When there is a problem, a business like this sorts it out."),
        _("When there was a problem, they sorted it out."),
    ),
    Item(
        Dimension.RESPONSIVENESS,
        1,
        _("A business like this serves customers without making them wait."),
        _("Here I was served without having to wait."),
    ),
    Item(
        Dimension.RESPONSIVENESS,
        2,
        _("Staff at a business like this are always willing to help."),
        _("Staff here were willing to help."),
    ),
    Item(
        Dimension.RESPONSIVENESS,
        3,
        _("A business like this adapts to what each customer needs."),
        _("Here they adapted to what I needed."),
    ),
    Item(
        Dimension.ASSURANCE,
        1,
        _("Staff at a business like this know their products and their job."),
        _("Staff here knew their products and their job."),
    ),
    Item(
        Dimension.ASSURANCE,
        2,
        _("Customers can trust the advice of a business like this."),
        _("I can trust the advice I got here."),
    ),
    Item(
        Dimension.ASSURANCE,
        3,
        _("A business like this never pressures customers into buying."),
        _("Here nobody pressured me into buying."),
    ),
    Item(
        Dimension.EMPATHY,
        1,
        _("A business like this treats each customer as a person."),
        _("Here I was treated as a person, not a number."),
    ),
    Item(
        Dimension.EMPATHY,
        2,
        _("A business like this remembers what its regular customers like."),
        _("They remembered what I like."),
    ),
    Item(
        Dimension.EMPATHY,
        3,
        _("A business like this has the customer's best interests at heart."),
        _("They had my best interests at heart."),
    ),
    Item(
        Dimension.TANGIBLES,
        1,
        _("The premises of a business like this are clean and pleasant."),
        _("The premises were clean and pleasant."),
    ),
    Item(
        Dimension.TANGIBLES,
        2,
        _("The products of a business like this look and feel well made."),
        _("The products looked and felt well made."),
    ),
    Item(
        Dimension.TANGIBLES,
        3,
        _("Staff at a business like this are neat and well presented."),
        _("Staff here were neat and well presented."),
    ),
)
ITEMS_BY_KEY: dict[str, Item] = {item.key: item for item in ITEMS}


def items_of(dimension: str) -> tuple[Item, ...]:
    return tuple(item for item in ITEMS if item.dimension == dimension)


# What comments talk about (the keys of ``regulars.text.TOPICS``), as staff read them:
# the five dimensions by their own names, then the other subjects.
TOPIC_LABELS: dict[str, LazyText] = {
    **{str(d.value): d.label for d in Dimension},
    "price": pgettext_lazy("comment topic", "Price"),
    "waiting": pgettext_lazy("comment topic", "Waiting"),
    "staff_friendliness": pgettext_lazy("comment topic", "Staff friendliness"),
    "pushy_selling": pgettext_lazy("comment topic", "Pushy selling"),
    "returns": pgettext_lazy("comment topic", "Returns"),
    "product_quality": pgettext_lazy("comment topic", "Product quality"),
    "cleanliness": pgettext_lazy("comment topic", "Cleanliness and ambience"),
}


def topic_label(key: str) -> str:
    """A comment topic in the active language (the key itself when unknown)."""
    label = TOPIC_LABELS.get(key)
    return key if label is None else str(label)
