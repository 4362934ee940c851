from __future__ import annotations

import pytest

from regulars.core.permissions import POLICY, RANK, Capability, Role, highest, role_allows


def test_nobody_without_a_role_may_do_anything() -> None:
    assert [c for c in Capability if role_allows(None, c)] == []


@pytest.mark.parametrize("capability", list(Capability))
def test_a_stronger_role_may_do_all_a_weaker_one_may(capability: Capability) -> None:
    allowed = [role for role in Role if role_allows(role, capability)]
    assert allowed == [r for r in Role if RANK[r] >= RANK[POLICY[capability]]]


def test_staff_may_not_see_money_or_import() -> None:
    assert role_allows(Role.STAFF, Capability.VIEW_MONEY) is False
    assert role_allows(Role.STAFF, Capability.IMPORT_DATA) is False
    assert role_allows(Role.MANAGER, Capability.VIEW_MONEY) is True
    assert role_allows(Role.MANAGER, Capability.IMPORT_DATA) is False


def test_the_highest_role_wins() -> None:
    assert highest([Role.STAFF, Role.OWNER, Role.MANAGER]) == Role.OWNER
    assert highest([]) is None
