"""The contact budget (``/outreach/plays/policy/``): how many messages a customer may
receive in any 30 days, the quiet hours and the planning hour, in plain words and as a
form. Managers and owners (MANAGE_OUTREACH); the budget is the business's, one for
every location. Thin: the form checks, ``plays.set_policy`` checks again and writes.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from regulars.accounts.access import requires
from regulars.core.permissions import Capability
from regulars.outreach import plays, policy
from regulars.outreach.models import OutreachPolicy
from regulars.outreach.play_forms import PolicyForm


def policy_in_words(rules: OutreachPolicy) -> str:
    """E.g. "At most 2 messages per customer in any 30 days, one a day, never between
    20:00 and 09:00 in the customer's time zone."."""
    most = ngettext(
        "At most %(count)s message per customer in any 30 days",
        "At most %(count)s messages per customer in any 30 days",
        rules.max_per_30_days,
    ) % {"count": rules.max_per_30_days}
    return _(
        "%(most)s, one a day, never between %(start)s and %(end)s in the customer's time zone."
    ) % {
        "most": most,
        "start": f"{rules.quiet_start:%H:%M}",
        "end": f"{rules.quiet_end:%H:%M}",
    }


@requires(Capability.MANAGE_OUTREACH)
def policy_page(request: HttpRequest) -> HttpResponse:
    current = policy.current()
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                plays.set_policy(actor=request.user, **form.cleaned_data)
            except plays.PlayError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(request, _("The contact budget is saved."))
                return redirect("outreach:policy")
    else:
        form = PolicyForm(
            initial={
                "max_per_30_days": current.max_per_30_days,
                "quiet_start": current.quiet_start,
                "quiet_end": current.quiet_end,
                "plan_hour": current.plan_hour,
            }
        )
    return render(
        request,
        "outreach/policy_form.html",
        {"form": form, "policy": current, "in_words": policy_in_words(current)},
    )
