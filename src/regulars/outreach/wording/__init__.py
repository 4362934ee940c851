"""What a customer reads: the built-in wording in five languages, the manager's own
templates, rendering for every channel, and the checks and preview of the editor.

``render(message, voucher)`` is what the sender calls. It picks the customer's language
(the message's, else the customer's, else the location's), the manager's ``Template``
for (purpose, channel, language) when there is one, else the built-in wording
(``texts``), and renders it over the names of ``names.NAMES``. Every e-mail and text
message ends with a one-click unsubscribe link for its channel (added when the template
has none), and a voucher's line is added when the template does not mention the voucher.

Templates use Django's syntax over a dedicated engine (``engine``): ``if``, ``for``,
``with``, ``firstof``, ``comment``, a few filters and ``plural`` (CLDR plural forms of the
language: ``{{ years|plural:"год,года,лет" }}``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone, translation
from django.utils.html import escape, urlize
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from regulars.accounts.models import Location
from regulars.core.localtime import local_today
from regulars.customers.models import Customer
from regulars.outreach.models import Channel, Message, OccasionKind, PlayKind, Template, Voucher
from regulars.outreach.wording import engine, names, texts
from regulars.outreach.wording.engine import (
    CARD_MAX_CHARS,
    SMS_MAX_CHARS,
    SUBJECT_MAX_CHARS,
    render_source,
    uses,
)
from regulars.outreach.wording.names import language_of, names_for
from regulars.outreach.wording.texts import LANGUAGES, builtin_source

log = logging.getLogger(__name__)

# Purposes in the order the editor lists them: the occasions, then the plays.
PURPOSES: tuple[str, ...] = tuple(OccasionKind.values) + tuple(
    kind for kind in PlayKind.values if kind != PlayKind.OCCASION
)
CHANNELS: tuple[str, ...] = tuple(Channel.values)

__all__ = [
    "CHANNELS",
    "LANGUAGES",
    "PURPOSES",
    "Preview",
    "Rendered",
    "builtin_source",
    "check",
    "compose",
    "preview",
    "purpose_of",
    "render",
]


@dataclass(frozen=True)
class Rendered:
    subject: str  # "" but for e-mail
    body: str  # plain text: the e-mail's text part, the text message, the card, the call
    html: str | None  # the e-mail's HTML part; None for other channels
    headers: dict[str, str] = field(default_factory=dict)  # e-mail: List-Unsubscribe


@dataclass(frozen=True)
class Preview:
    rendered: Rendered | None  # None when the template cannot be rendered at all
    problems: list[str]


def purpose_of(message: Message) -> str:
    """The wording's purpose: the occasion for an occasion play, else the play's kind."""
    kind = message.play.kind
    if kind == PlayKind.OCCASION:
        return message.occasion or message.play.occasion or OccasionKind.CUSTOM
    return str(kind)


def manager_template(purpose: str, channel: str, language: str) -> Template | None:
    return Template.objects.filter(purpose=purpose, channel=channel, language=language).first()


# --- Rendering --------------------------------------------------------------------------

_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([,!?.:;])")
_EMPTY_NAME = re.compile(r",\s*([!?.:;])|^\s*,\s*", re.MULTILINE)


def _tidy(text: str, *, nameless: bool) -> str:
    """Blank lines collapsed, trailing spaces gone; without a name, what ``{{ name }}``
    leaves behind ("Happy birthday, !", ", it's a year…") is mended."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    if nameless:
        text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
        text = _EMPTY_NAME.sub(lambda m: m.group(1) or "", text)
        text = "\n".join(line[:1].upper() + line[1:] for line in text.splitlines())
    return text


def _html(text: str) -> str:
    """Escaped text as paragraphs, links made clickable."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "\n".join(
        "<p>" + urlize(p.strip(), autoescape=False).replace("\n", "<br>\n") + "</p>"
        for p in paragraphs
    )
    return body


def compose(
    *, subject_source: str, body_source: str, channel: str, language: str, names: dict[str, Any]
) -> Rendered:
    """Render one message from template sources (raises on a broken template)."""
    nameless = not names.get("name")
    extra = ""
    if names.get("voucher") and not uses(body_source, "voucher"):
        extra = texts.voucher_block(language, channel)
    with translation.override(language):
        body = render_source("text", body_source + extra, names)
        html_body = (
            render_source("html", body_source + extra, names) if channel == Channel.EMAIL else ""
        )
        subject = (
            " ".join(render_source("text", subject_source, names).split())
            if channel == Channel.EMAIL
            else ""
        )
    body = _tidy(body, nameless=nameless)
    subject = _tidy(subject, nameless=nameless)[:SUBJECT_MAX_CHARS]
    url = str(names["unsubscribe_url"])
    lines = texts.frame(language)
    if channel == Channel.SMS:
        if not uses(body_source, "unsubscribe_url"):
            body += "\n" + lines.unsubscribe_sms.format(url=url)
        return Rendered(subject="", body=body, html=None, headers={})
    if channel != Channel.EMAIL:
        return Rendered(subject="", body=body, html=None, headers={})
    html = _html(_tidy(html_body, nameless=nameless))
    if not uses(body_source, "unsubscribe_url"):
        footer = lines.unsubscribe_email.format(url=url)
        body += "\n\n" + footer
        html += (
            '\n<p style="font-size:small;color:#666">'
            + escape(footer).replace(escape(url), f'<a href="{escape(url)}">{escape(url)}</a>')
            + "</p>"
        )
    document = (
        f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>\n"
        '<body style="font-family:sans-serif;line-height:1.5;max-width:36em">\n'
        f"{html}\n</body></html>"
    )
    headers = {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return Rendered(subject=subject, body=body, html=document, headers=headers)


def render(message: Message, voucher: Voucher | None) -> Rendered:
    """The message as the customer will read it, in their language.

    The manager's template for (purpose, channel, language) when there is one and it
    renders; otherwise (and, logged, when it fails) the built-in wording.
    """
    customer = message.customer
    location = message.location
    language = language_of(message.language, customer.language, location.language)
    purpose = purpose_of(message)
    channel = message.channel or Channel.EMAIL
    values = names_for(
        customer=customer,
        location=location,
        language=language,
        channel=channel,
        occasion=purpose if purpose in OccasionKind.values else "",
        occasion_name=message.occasion_name,
        occasion_on=message.occasion_on,
        voucher=voucher,
        today=local_today(location.timezone),
    )
    own = manager_template(purpose, channel, language)
    if own is not None:
        try:
            return compose(
                subject_source=own.subject,
                body_source=own.body,
                channel=channel,
                language=language,
                names=values,
            )
        except Exception:  # a template saved before a check existed, or bad data
            log.exception("template %s failed; the built-in wording is used", own)
    subject_source, body_source = builtin_source(purpose, channel, language)
    return compose(
        subject_source=subject_source,
        body_source=body_source,
        channel=channel,
        language=language,
        names=values,
    )


# --- Checks and preview -----------------------------------------------------------------


def _sample_names(
    purpose: str, channel: str, language: str, *, voucher: bool, today: date
) -> dict[str, Any]:
    location = Location(name="Caffè Aurora", timezone="Europe/Rome", currency="EUR")
    return names_for(
        customer=names.sample_customer(language),
        location=location,
        language=language,
        channel=channel,
        occasion=purpose if purpose in OccasionKind.values else "first_visit",
        occasion_name=names.sample_occasion_name(purpose, language),
        occasion_on=today,
        voucher=names.sample_voucher("EUR", today) if voucher else None,
        today=today,
    )


def check(
    subject: str, body: str, *, channel: str, language: str, purpose: str = "custom"
) -> list[str]:
    """What is wrong with a manager's template, in the UI language; empty when nothing.

    Syntax errors (with their line), tags and filters that are not allowed, names that
    do not exist, a voucher's names used where there may be no voucher, an e-mail
    without a subject, a text message or a card too long with sample values. A missing
    unsubscribe link is no problem: it is added to every e-mail and text message.
    """
    problems: list[str] = []
    subject_label, body_label = pgettext("e-mail", "Subject"), _("Message")
    if not body.strip():
        problems.append(_("The message is empty."))
    if channel == Channel.EMAIL and not subject.strip():
        problems.append(_("An e-mail needs a subject."))
    found, _compiled = engine.source_problems(body, body_label)
    problems += found
    if channel == Channel.EMAIL:
        found_in_subject, _compiled_subject = engine.source_problems(subject, subject_label)
        problems += found_in_subject
    if problems:
        return problems
    today = timezone.now().date()
    longest = 0
    for with_voucher in (True, False):
        values = _sample_names(purpose, channel, language, voucher=with_voucher, today=today)
        try:
            with translation.override(language):
                text = render_source("check", body, values)
                heading = render_source("check", subject, values) if subject else ""
        except Exception as error:  # noqa: BLE001 (a filter given the wrong value, say)
            return [_("The template fails when rendered: %(detail)s") % {"detail": error}]
        for part, rendered in ((body_label, text), (subject_label, heading)):
            for problem in engine.rendered_problems(rendered, part, voucher=with_voucher):
                if problem not in problems:
                    problems.append(problem)
        longest = max(longest, len(_tidy(engine.without_missing(text), nameless=False)))
    if channel == Channel.SMS and longest > SMS_MAX_CHARS:
        problems.append(
            _(
                "The text message is %(count)d characters long with sample values; keep it "
                "to %(limit)d (the unsubscribe link comes on top)."
            )
            % {"count": longest, "limit": SMS_MAX_CHARS}
        )
    if channel == Channel.CARD and longest > CARD_MAX_CHARS:
        problems.append(
            _("The card is %(count)d characters long; at most %(limit)d fit on it.")
            % {"count": longest, "limit": CARD_MAX_CHARS}
        )
    return problems


def preview(
    *,
    purpose: str,
    channel: str,
    language: str,
    subject: str,
    body: str,
    customer: Customer | None = None,
    location: Location | None = None,
    formal: bool = False,
    with_voucher: bool = True,
    now: datetime | None = None,
) -> Preview:
    """The template rendered for a sample customer of the language (or ``customer``),
    with the problems ``check`` finds. Nothing is saved or sent."""
    problems = check(subject, body, channel=channel, language=language, purpose=purpose)
    moment = now or timezone.now()
    place = location or (customer.home_location if customer is not None else None)
    if place is None:
        place = Location.objects.order_by("id").first() or Location(
            name="Caffè Aurora", timezone="Europe/Rome", currency="EUR"
        )
    today = local_today(place.timezone, moment)
    person = customer or names.sample_customer(language, formal=formal)
    values = names_for(
        customer=person,
        location=place,
        language=language,
        channel=channel,
        occasion=purpose if purpose in OccasionKind.values else "",
        occasion_name=names.sample_occasion_name(purpose, language),
        occasion_on=today,
        voucher=names.sample_voucher(place.currency, today) if with_voucher else None,
        today=today,
    )
    try:
        rendered = compose(
            subject_source=subject,
            body_source=body,
            channel=channel,
            language=language,
            names=values,
        )
    except Exception:  # noqa: BLE001 (the problems say why; nothing to show)
        rendered = None
    return Preview(rendered=rendered, problems=problems)
