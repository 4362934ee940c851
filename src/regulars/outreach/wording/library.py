"""The only tags and filters a wording template may use.

The wording engine starts with no built-in libraries at all (``engine.WordingEngine``),
so ``{% load %}``, ``{% include %}``, ``{% extends %}``, ``{% ssi %}``, ``{% debug %}``,
``{% url %}`` and the rest simply do not exist there: only what is registered here.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from django import template
from django.template import defaultfilters, defaulttags
from django.utils import translation

from regulars.core.money import _babel_locale

register = template.Library()

TAGS = ("if", "for", "with", "firstof", "comment")
# Block words that only appear inside the allowed tags.
INNER_WORDS = ("elif", "else", "empty", "endif", "endfor", "endwith", "endcomment")

for _name in TAGS:
    register.tag(_name, defaulttags.register.tags[_name])

FILTERS = (
    "add",
    "capfirst",
    "default",
    "default_if_none",
    "first",
    "join",
    "last",
    "length",
    "lower",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "yesno",
)

for _name in FILTERS:
    register.filter(_name, defaultfilters.register.filters[_name])

# CLDR plural categories in the order a template lists their forms.
_CATEGORIES = ("zero", "one", "two", "few", "many", "other")


@register.filter(name="plural")
def plural(count: Any, forms: str) -> str:
    """The form of a word for ``count`` in the language being rendered: the forms are
    listed by CLDR category, in the order zero, one, two, few, many, other, keeping only
    the language's own categories ("год,года,лет" in Russian: one, few, many; "year,years"
    in English: one, other). A missing form takes the last one given."""
    words = [w.strip() for w in str(forms).split(",")]
    try:
        number = int(count)
    except (TypeError, ValueError):
        return words[-1]
    rule = Locale.parse(_babel_locale(translation.get_language() or "en")).plural_form
    categories = [c for c in _CATEGORIES if c in rule.tags or c == "other"]
    index = categories.index(rule(number))
    return words[min(index, len(words) - 1)]
