"""Print batches (``/outreach/print/``): the batches of printed cards per location,
their PDFs (cards and labels), and a button that prints the cards due now.

Staff of a location may see and download its batches (``VIEW_AGENDA`` there: they
print, sign and post the cards); making a batch needs ``MANAGE_OUTREACH`` at the
location. A file is found by its batch's public id, never by a path from the request,
and only inside ``DATA_DIR/print`` (``channels.print.batch_file``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from regulars.accounts.access import access_for, chosen_location, requires
from regulars.core.permissions import Capability
from regulars.outreach.channels.print import batch_file, due_cards, make_batches
from regulars.outreach.models import PrintBatch

SHOWN = 100  # batches listed per location
SESSION_KEY = "outreach_print_location"


@requires(Capability.VIEW_AGENDA)
def batch_list(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    location = chosen_location(request, access.locations_with(Capability.VIEW_AGENDA), SESSION_KEY)
    batches = list(
        PrintBatch.objects.filter(location=location).order_by("-created_at", "-id")[:SHOWN]
    )
    can_make = access.can(Capability.MANAGE_OUTREACH, location.pk)
    return render(
        request,
        "outreach/print_list.html",
        {
            "location": location,
            "locations": access.locations_with(Capability.VIEW_AGENDA),
            "batches": batches,
            "can_make": can_make,
            "due": due_cards(location, now=timezone.now()).count() if can_make else None,
        },
    )


@requires(Capability.MANAGE_OUTREACH)
@require_POST
def batch_make(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    location = chosen_location(
        request, access.locations_with(Capability.MANAGE_OUTREACH), SESSION_KEY
    )
    now = timezone.now()
    batches = make_batches(list(due_cards(location, now=now)), now=now)
    cards = sum(batch.cards for batch in batches)
    if cards:
        messages.success(
            request,
            ngettext(
                "%(count)d card is ready to print.", "%(count)d cards are ready to print.", cards
            )
            % {"count": cards},
        )
    else:
        messages.info(request, _("No cards are waiting to be printed."))
    return redirect(f"{reverse('outreach:print')}?location={location.pk}")


def _download(request: HttpRequest, public_id: str, which: str) -> FileResponse:
    batch = PrintBatch.objects.filter(public_id=public_id).first()
    if batch is None:
        raise Http404
    if not access_for(request.user).can(Capability.VIEW_AGENDA, batch.location_id):
        raise PermissionDenied
    path = batch_file(batch, which)
    if path is None:
        raise Http404
    name = f"{which}-{batch.created_at:%Y-%m-%d}-{batch.public_id}.pdf"
    return FileResponse(
        path.open("rb"), content_type="application/pdf", as_attachment=False, filename=name
    )


@requires(Capability.VIEW_AGENDA)
def batch_cards(request: HttpRequest, public_id: str) -> FileResponse:
    return _download(request, public_id, "cards")


@requires(Capability.VIEW_AGENDA)
def batch_labels(request: HttpRequest, public_id: str) -> FileResponse:
    return _download(request, public_id, "labels")
