"""The owners' audit log page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from regulars.core.models import AuditAction, AuditEntry
from tests.conftest import World

T0 = datetime(2025, 5, 2, 8, 0, tzinfo=UTC)


def entry(world: World, minutes: int, **kwargs: object) -> AuditEntry:
    defaults: dict[str, object] = {
        "actor": world.users["staff"],
        "action": AuditAction.VIEW,
        "subject": "customer",
        "customer_ref": "c-anna",
        "fields": [],
    }
    defaults.update(kwargs)
    return AuditEntry.objects.create(at=T0 + timedelta(minutes=minutes), **defaults)


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)


@pytest.mark.parametrize("persona", ["staff", "manager", "outsider"])
def test_the_audit_log_is_refused_to_everyone_but_owners(world: World, persona: str) -> None:
    entry(world, 0)
    response = world.client(persona).get("/audit/")
    assert response.status_code == 403
    assert "c-anna" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in_from_the_audit_log(world: World) -> None:
    response = world.client("anonymous").get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_owners_see_who_did_what_to_whom_newest_first(world: World) -> None:
    entry(world, 0, customer_ref="c-old", fields=["email"])
    entry(
        world,
        30,
        actor=world.users["manager"],
        action=AuditAction.CHANGE,
        customer_ref="c-new",
        subject="preference",
        fields=["text", "kind"],
    )
    response = world.client("owner").get("/audit/")
    assert response.status_code == 200
    found = rows(response.content.decode())
    assert len(found) == 2
    assert "c-new" in found[0]
    assert "manager" in found[0]
    assert "Changed" in found[0]
    assert "Preference" in found[0]
    assert "text, kind" in found[0]
    assert "c-old" in found[1]
    # 08:00 UTC is 10:00 in Bologna, the owner's first location.
    assert "10:00" in found[1]


def test_the_audit_log_filters_by_customer(world: World) -> None:
    entry(world, 0, customer_ref="c-anna")
    entry(world, 1, customer_ref="c-bruno")
    found = rows(world.client("owner").get("/audit/", {"customer": "c-bruno"}).content.decode())
    assert len(found) == 1
    assert "c-bruno" in found[0]


def test_the_audit_log_filters_by_actor(world: World) -> None:
    entry(world, 0, actor=world.users["staff"], customer_ref="by-staff")
    entry(world, 1, actor=world.users["manager"], customer_ref="by-manager")
    manager_id = world.users["manager"].pk
    html = world.client("owner").get("/audit/", {"actor": manager_id}).content.decode()
    found = rows(html)
    assert len(found) == 1
    assert "by-manager" in found[0]


def test_the_audit_log_filters_by_action(world: World) -> None:
    entry(world, 0, action=AuditAction.VIEW, customer_ref="looked")
    entry(world, 1, action=AuditAction.DELETE, customer_ref="erased")
    html = world.client("owner").get("/audit/", {"action": "delete"}).content.decode()
    found = rows(html)
    assert len(found) == 1
    assert "erased" in found[0]


def test_the_audit_log_is_paginated(world: World) -> None:
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=world.users["staff"],
            action=AuditAction.VIEW,
            subject="customer",
            customer_ref=f"c-{i:03d}",
            at=T0 + timedelta(minutes=i),
        )
        for i in range(51)
    )
    client = world.client("owner")
    first = rows(client.get("/audit/").content.decode())
    second_html = client.get("/audit/", {"page": 2}).content.decode()
    second = rows(second_html)
    assert len(first) == 50
    assert "c-050" in first[0]
    assert len(second) == 1
    assert "c-000" in second[0]
    assert "Page 2 of 2" in second_html


def test_pagination_links_keep_the_filter(world: World) -> None:
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=world.users["staff"],
            action=AuditAction.VIEW,
            subject="customer",
            customer_ref="c-anna",
            at=T0 + timedelta(minutes=i),
        )
        for i in range(55)
    )
    html = world.client("owner").get("/audit/", {"customer": "c-anna"}).content.decode()
    assert "?customer=c-anna&amp;page=2" in html


def test_the_audit_page_reads_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: object
) -> None:
    for i in range(30):
        entry(world, i, actor=world.users["manager" if i % 2 else "staff"])
    client = world.client("owner")
    client.get("/audit/")  # warm up session and content types
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get("/audit/")
    assert len(rows(response.content.decode())) == 30
