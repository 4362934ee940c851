"""Feedback's link on the counter after a visit is logged: "Print the survey slip" when
the visit got a receipt invitation. Registered with the service desk's after-visit
registry by ``connect()`` (from ``FeedbackConfig.ready``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from regulars.feedback.invitations import invitation_for_receipt
from regulars.feedback.models import InvitationStatus
from regulars.service.after_visit import AfterVisitLink, register_after_visit_link
from regulars.service.models import Visit


def slip_link(visit: Visit) -> AfterVisitLink | None:
    invitation = invitation_for_receipt(visit)
    if invitation is None or invitation.status == InvitationStatus.ANSWERED:
        return None
    url = reverse("feedback:slip", kwargs={"public_id": invitation.public_id})
    return (_("Print the survey slip"), url)


def connect() -> None:
    register_after_visit_link("survey_slip", slip_link)
