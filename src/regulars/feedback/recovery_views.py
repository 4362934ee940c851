"""Service recovery pages for managers: the recoveries of their locations (open first,
overdue ones marked) and one recovery with what the customer said and the next steps.
Thin: the form picks a move, ``recovery.advance_recovery`` checks and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.accounts.access import access_for, requires
from regulars.core.permissions import Capability
from regulars.feedback import recovery as recovery_service
from regulars.feedback.instruments import ITEMS_BY_KEY
from regulars.feedback.invitations import survey_url
from regulars.feedback.models import RECOVERY_OPEN, Recovery, RecoveryStatus

PAGE_SIZE = 50
SHOWN = {
    "open": RECOVERY_OPEN,
    "ended": frozenset({RecoveryStatus.RECOVERED, RecoveryStatus.LOST}),
}


class MoveForm(forms.Form):
    status = forms.ChoiceField(choices=RecoveryStatus.choices)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    remedy = forms.CharField(
        label=gettext_lazy("What was given to make it right"), max_length=200, required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


def _recoveries_for(user: Any) -> QuerySet[Recovery]:
    locations = access_for(user).locations_with(Capability.HANDLE_RECOVERY)
    return Recovery.objects.filter(location__in=locations)


def _get_recovery_for(user: Any, public_id: str) -> Recovery:
    """The one permission-checked getter: a recovery of one of the user's locations."""
    found = (
        _recoveries_for(user)
        .select_related("response", "customer", "location", "ticket", "resurvey")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


@requires(Capability.HANDLE_RECOVERY)
def recovery_list(request: HttpRequest) -> HttpResponse:
    shown = request.GET.get("show", "open")
    rows = _recoveries_for(request.user).select_related(
        "response", "customer", "location", "ticket"
    )
    if shown in SHOWN:
        rows = rows.filter(status__in=SHOWN[shown])
    else:
        shown = "all"
    page = Paginator(rows.order_by("-opened_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "feedback/recoveries.html",
        {"page": page, "shown": shown, "now": timezone.now()},
    )


@requires(Capability.HANDLE_RECOVERY)
def recovery_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _get_recovery_for(request.user, public_id)
    form = MoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recovery_service.advance_recovery(
                actor=request.user,
                recovery=item,
                status=form.cleaned_data["status"],
                expected_version=form.cleaned_data["expected_version"],
                remedy=form.cleaned_data["remedy"],
                note=form.cleaned_data["note"],
            )
        except (ValueError, recovery_service.StaleRecovery) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Recovery: %(status)s.") % {"status": RecoveryStatus(item.status).label},
            )
            return redirect("feedback:recovery", public_id=item.public_id)
    response = item.response
    quality = [
        (ITEMS_BY_KEY[f"{a.dimension}.{a.item}"], a.expected, a.perceived)
        for a in response.quality.all()
        if f"{a.dimension}.{a.item}" in ITEMS_BY_KEY
    ]
    resurvey_link = ""
    if item.resurvey is not None and item.status == RecoveryStatus.RESURVEYED:
        resurvey_link = survey_url(item.resurvey)
    return render(
        request,
        "feedback/recovery.html",
        {
            "item": item,
            "response": response,
            "quality": quality,
            "moves": [RecoveryStatus(s) for s in recovery_service.allowed_moves(item)],
            "form": form,
            "resurvey_link": resurvey_link,
            "now": timezone.now(),
        },
    )
