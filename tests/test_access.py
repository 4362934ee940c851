"""Access is enforced in one place (accounts.access) and holds for every page.

The test walks the whole URL configuration, so a page added later is covered the day
it is added: it must declare its capability, and every persona gets what the policy
in core.permissions says.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from regulars.core.permissions import POLICY, Capability, Role, role_allows
from regulars.service import promises, tickets, waiting
from regulars.service.models import FollowUp
from tests.conftest import PERSONAS, World
from tests.factories import CustomerFactory, PreferenceFactory, VisitFactory
from tests.feedback.helpers import invitation, make_survey, token_of

ROLE_OF = {"owner": Role.OWNER, "manager": Role.MANAGER, "staff": Role.STAFF, "outsider": None}


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def all_named_urls() -> list[tuple[str, URLPattern]]:
    return sorted(_walk(get_resolver().url_patterns), key=lambda item: item[0])


def _required(pattern: URLPattern) -> tuple[bool, Capability | None]:
    """(open to anonymous, capability) as the view declares it."""
    view = pattern.callback
    if getattr(view, "login_required", True) is False:
        return True, None
    if not hasattr(view, "required_capability"):
        raise AssertionError(f"{pattern.name}: view declares no capability")
    return False, view.required_capability


@pytest.fixture
def url_kwargs(world: World) -> dict[str, Any]:
    customer = CustomerFactory(home_location=world.bologna)
    preference = PreferenceFactory(customer=customer, kind="allergy", text="nuts")
    visit = VisitFactory(customer=customer, location=world.bologna)
    ticket = tickets.open_ticket(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        kind="complaint",
        subject="Cold coffee",
    )
    tickets.move_ticket(
        actor=world.users["staff"], ticket=ticket, status="resolved", expected_version=1
    )
    promise = promises.make_promise(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        text="Call back",
        due_at=timezone.now() + timedelta(days=1),
    )
    wait = waiting.start_waiting(
        actor=world.users["staff"], location=world.bologna, customer=customer
    )
    return {
        "public_id": customer.public_id,
        "location_id": world.bologna.pk,
        "pk": preference.pk,
        "fact_id": preference.pk,
        "visit_id": visit.public_id,
        "kind": "customers",
        "job_id": 1,
        "ticket_id": ticket.public_id,
        "promise_id": promise.public_id,
        "follow_up_id": FollowUp.objects.get(ticket=ticket).pk,
        "wait_id": wait.pk,
        "token": token_of(invitation(make_survey(), world.bologna, customer)),
        # Outreach: a template's purpose, channel and language.
        "purpose": "birthday",
        "channel": "email",
        "language": "it",
    }


def _reverse(name: str, pattern: URLPattern, values: dict[str, Any]) -> str:
    names = list(pattern.pattern.regex.groupindex)
    missing = [n for n in names if n not in values]
    assert not missing, f"{name}: add a test value for URL argument(s) {missing}"
    return reverse(name, kwargs={n: values[n] for n in names})


def test_every_view_declares_its_access() -> None:
    undeclared = []
    for name, pattern in all_named_urls():
        view = pattern.callback
        if getattr(view, "login_required", True) is not False and not hasattr(
            view, "required_capability"
        ):
            undeclared.append(name)
    assert undeclared == []


def test_the_policy_gives_every_capability_a_role() -> None:
    assert set(POLICY) == set(Capability)


def test_only_the_sign_in_page_and_the_customers_survey_and_unsubscribe_pages_are_open() -> None:
    open_pages = [name for name, pattern in all_named_urls() if _required(pattern)[0]]
    assert open_pages == [
        "accounts:login",
        "outreach-public:unsubscribe",
        "survey:answer",
        "survey:code",
        "survey:thanks",
        "web:health",
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_answers_each_persona_as_the_policy_says(
    persona: str, world: World, url_kwargs: dict[str, Any]
) -> None:
    wrong = []
    for name, pattern in all_named_urls():
        client = world.client(persona)  # fresh each time: one of the pages signs out
        is_open, capability = _required(pattern)
        url = _reverse(name, pattern, url_kwargs)
        response = client.get(url)
        if response.status_code == 405:  # a POST-only endpoint: ask the way it is used
            response = client.post(url, {})
        status = response.status_code
        if persona == "anonymous":
            expected_ok = is_open
            refused = status == 302 and "/accounts/login/" in response.get("Location", "")
        else:
            expected_ok = capability is None or role_allows(ROLE_OF[persona], capability)
            refused = status == 403
        if expected_ok and (refused or status >= 500):
            wrong.append(f"{name}: {persona} refused ({status})")
        if not expected_ok and not refused:
            wrong.append(f"{name}: {persona} let in ({status})")
    assert wrong == [], "\n".join(wrong)


def test_a_role_at_one_location_gives_no_rights_at_another(world: World) -> None:
    from regulars.accounts.access import access_for

    staff = access_for(world.users["staff"])
    assert staff.can(Capability.LOG_VISITS, world.bologna.pk) is True
    assert staff.can(Capability.LOG_VISITS, world.copenhagen.pk) is False
