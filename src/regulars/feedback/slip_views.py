"""The survey slip staff print with the receipt: a QR code of the survey link, the
address to type and the short code, in the customer's language, 80 mm wide."""

from __future__ import annotations

from typing import Any

import segno
from babel.dates import format_date
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from regulars.accounts.access import access_for, requires
from regulars.core.localtime import zone
from regulars.core.permissions import Capability
from regulars.feedback import invitations
from regulars.feedback.models import Invitation, InvitationStatus, InviteChannel
from regulars.feedback.tokens import shown_short_code

# CLDR locales for the expiry date (the languages the app speaks).
_LOCALES = {"en": "en_GB", "it": "it_IT", "da": "da_DK", "ru": "ru_RU", "es": "es_ES"}


def printable_invitation_for(user: Any, public_id: str) -> Invitation:
    """A receipt invitation at one of ``user``'s locations that can still be answered;
    Http404 otherwise (whether it exists elsewhere is not told)."""
    invitation = (
        Invitation.objects.select_related("location")
        .filter(public_id=public_id, channel=InviteChannel.RECEIPT)
        .first()
    )
    if invitation is None or not access_for(user).can(
        Capability.LOG_VISITS, invitation.location_id
    ):
        raise Http404
    if invitation.status == InvitationStatus.ANSWERED or invitation.expires_at <= timezone.now():
        raise Http404
    return invitation


def qr_svg(url: str) -> str:
    """The link as an inline SVG QR code (error correction M: a crumpled receipt still
    scans; the standard four-module quiet zone around it)."""
    return str(segno.make(url, error="m").svg_inline(scale=4, svgclass="slip-qr", omitsize=True))


@requires(Capability.LOG_VISITS)
def slip(request: HttpRequest, public_id: str) -> HttpResponse:
    invitation = printable_invitation_for(request.user, public_id)
    language = invitation.language
    url = invitations.survey_url(invitation)
    expires = invitation.expires_at.astimezone(zone(invitation.location.timezone)).date()
    context = {
        "invitation": invitation,
        "business": invitation.location.name,
        "language": language,
        "qr": mark_safe(qr_svg(url)),  # noqa: S308 (segno's own SVG of our own URL)
        "address": settings.PUBLIC_URL + "/s/",
        "code": shown_short_code(invitation.short_code),
        "expires": format_date(expires, "long", locale=_LOCALES.get(language, "en_GB")),
        "staff_language": translation.get_language(),
    }
    response = render(request, "feedback/slip.html", context)
    response["Cache-Control"] = "no-store"
    return response
