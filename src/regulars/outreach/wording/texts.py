"""The built-in wording: what a customer reads when the manager has written no template
of their own for a purpose, channel and language.

Each language's module (``lang_en`` ...) holds its ``Frame`` (greeting forms, sign-off,
voucher line, unsubscribe line) and its ``Words`` per purpose. ``builtin_source``
assembles them into a template in the same syntax a manager writes, so the editor can
start from it and every text, built-in or not, goes through one renderer.

Where a language speaks to a customer formally or informally (Lei/tu, Вы/ты,
usted/tú), a text is a pair ``(formal, informal)``, assembled as
``{% if formal %}…{% else %}…{% endif %}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from types import ModuleType

Text = str | tuple[str, str]  # one wording, or (formal, informal)


@dataclass(frozen=True)
class Words:
    """One purpose's wording in one language."""

    subject: Text  # the e-mail's subject
    text: Text  # the message of an e-mail, a card or a call (after the greeting)
    sms: Text  # a text message on its own (it names the customer and the business)


@dataclass(frozen=True)
class Greetings:
    formal: str  # "Dear {name},"
    informal: str  # "Hi {name},"
    formal_nameless: str  # "Hello,"
    informal_nameless: str  # "Hi,"
    feminine: str = ""  # where the formal opening agrees with a title ("Estimada {name}:")
    masculine: str = ""


@dataclass(frozen=True)
class Frame:
    """What every message of a language shares."""

    greetings: Greetings
    signoff: Text  # before the business's name at the end of an e-mail or a card
    voucher: Text  # the voucher line of an e-mail or a card
    voucher_sms: Text  # the voucher line of a text message
    unsubscribe_email: str  # with {url}
    unsubscribe_sms: str  # with {url}
    percent_off: str  # what a percent voucher gives, with {value}
    amount_off: str  # what an amount voucher gives, with {value}
    a_gift: str  # what an item voucher gives when the play did not say
    occasions: dict[str, str]  # occasion kind -> its name, as it reads in a sentence
    someone: dict[str, str]  # household_birthday / pet_birthday -> when the name is missing


LANGUAGES = ("en", "it", "da", "ru", "es")


@cache
def _languages() -> dict[str, ModuleType]:
    return {code: import_module(f"regulars.outreach.wording.lang_{code}") for code in LANGUAGES}


def frame(language: str) -> Frame:
    module = _languages().get(language) or _languages()["en"]
    found: Frame = module.FRAME
    return found


def words(purpose: str, language: str) -> Words:
    module = _languages().get(language) or _languages()["en"]
    table: dict[str, Words] = module.WORDS
    return table[purpose]


def registered(text: Text) -> str:
    """A text as template source: a pair becomes ``{% if formal %}…{% else %}…``."""
    if isinstance(text, str):
        return text
    formal, informal = text
    if formal == informal:
        return formal
    return f"{{% if formal %}}{formal}{{% else %}}{informal}{{% endif %}}"


def voucher_block(language: str, channel: str) -> str:
    """The voucher line as template source, shown only when there is a voucher."""
    lines = frame(language)
    if channel == "sms":
        return f"{{% if voucher %}} {registered(lines.voucher_sms)}{{% endif %}}"
    return f"{{% if voucher %}}\n\n{registered(lines.voucher)}{{% endif %}}"


def builtin_source(purpose: str, channel: str, language: str) -> tuple[str, str]:
    """(subject, body) of the built-in wording, as template source.

    ``channel`` is one of email, sms, card, call; only an e-mail has a subject. The
    unsubscribe line is not part of it: the renderer adds it to every e-mail and text
    message, built-in or not.
    """
    these = words(purpose, language)
    lines = frame(language)
    if channel == "sms":
        return "", registered(these.sms) + voucher_block(language, "sms")
    body = "{{ greeting }}\n\n" + registered(these.text) + voucher_block(language, channel)
    if channel == "call":
        return "", body
    body += f"\n\n{registered(lines.signoff)}\n{{{{ business }}}}"
    subject = registered(these.subject) if channel == "email" else ""
    return subject, body
