"""Who may do what: the one table every page and endpoint is checked against.

Roles are held per location (``accounts.Membership``). A capability names something a
user may do; ``POLICY`` gives the least role that may do it. Views declare the
capability they need with ``regulars.accounts.access.requires`` and nothing else
decides access.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "staff", _("Staff")
    MANAGER = "manager", _("Manager")
    OWNER = "owner", _("Owner")


RANK: dict[str, int] = {Role.STAFF: 1, Role.MANAGER: 2, Role.OWNER: 3}


class Capability(StrEnum):
    USE_APP = "use_app"  # home page, own account
    VIEW_CUSTOMERS = "view_customers"
    EDIT_CUSTOMERS = "edit_customers"
    LOG_VISITS = "log_visits"
    VIEW_MONEY = "view_money"  # amounts, totals and spend on dashboards
    VIEW_LOCATIONS = "view_locations"
    MANAGE_LOCATIONS = "manage_locations"
    IMPORT_DATA = "import_data"
    VIEW_AUDIT = "view_audit"
    DELETE_CUSTOMERS = "delete_customers"
    HANDLE_TICKETS = "handle_tickets"  # open, work on, hand over and resolve tickets
    MANAGE_SERVICE_LEVELS = "manage_service_levels"  # service levels and follow-up days
    VIEW_SERVICE_FIGURES = "view_service_figures"  # the service figures page
    VIEW_FEEDBACK = "view_feedback"  # the feedback dashboard and everyone's comments
    MANAGE_SURVEYS = "manage_surveys"  # which survey follows which event, the limits
    HANDLE_RECOVERY = "handle_recovery"  # move service recoveries on
    VIEW_LOYALTY = "view_loyalty"  # the loyalty dashboard, who to check on, P(alive)
    VIEW_AGENDA = "view_agenda"  # the occasions agenda, calls to make, vouchers to redeem
    MANAGE_OUTREACH = "manage_outreach"  # plays, templates, approval, held back, experiments


POLICY: dict[Capability, Role] = {
    Capability.USE_APP: Role.STAFF,
    Capability.VIEW_CUSTOMERS: Role.STAFF,
    Capability.EDIT_CUSTOMERS: Role.STAFF,
    Capability.LOG_VISITS: Role.STAFF,
    Capability.VIEW_LOCATIONS: Role.STAFF,
    Capability.VIEW_MONEY: Role.MANAGER,
    Capability.MANAGE_LOCATIONS: Role.OWNER,
    Capability.IMPORT_DATA: Role.OWNER,
    Capability.VIEW_AUDIT: Role.OWNER,
    Capability.DELETE_CUSTOMERS: Role.OWNER,
    Capability.HANDLE_TICKETS: Role.STAFF,
    Capability.MANAGE_SERVICE_LEVELS: Role.MANAGER,
    Capability.VIEW_SERVICE_FIGURES: Role.MANAGER,
    Capability.VIEW_FEEDBACK: Role.MANAGER,
    Capability.MANAGE_SURVEYS: Role.MANAGER,
    Capability.HANDLE_RECOVERY: Role.MANAGER,
    Capability.VIEW_LOYALTY: Role.MANAGER,
    Capability.VIEW_AGENDA: Role.STAFF,
    Capability.MANAGE_OUTREACH: Role.MANAGER,
}


def role_allows(role: str | None, capability: Capability) -> bool:
    """True when ``role`` (None for no role at all) is enough for ``capability``."""
    if role is None:
        return False
    return RANK[role] >= RANK[POLICY[capability]]


def highest(roles: list[str]) -> str | None:
    """The strongest of several roles, or None for none."""
    return max(roles, key=RANK.__getitem__, default=None)
