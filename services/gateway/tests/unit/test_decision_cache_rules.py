"""How long the gateway remembers entitlements' decisions, and what makes it forget them."""

from __future__ import annotations

import uuid

import pytest

from gateway.domain.access import Decision, DecisionCache, DecisionKey, Scope
from gateway.domain.principal import AccountKind, Principal

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
ALLOWED = Decision(True, Scope.ANY, "granted", "granted by role receptionist")
DENIED = Decision(False, None, "not_granted", "no role grants accounts.manage")
SPECIALIST = Principal(uuid.uuid4(), AccountKind.PROVIDER, CLINIC, uuid.uuid4(), True)


def key(action: str = "appointments.read", owner: uuid.UUID | None = None, who: Principal = SPECIALIST) -> DecisionKey:
    return DecisionKey.of(who, action, CLINIC, owner)


def test_a_decision_is_remembered_under_the_generation_it_was_made_in():
    cache = DecisionCache(ttl_seconds=30)
    cache.put(key(), ALLOWED, generation=4, now=100.0)

    assert cache.get(key(), generation=4, now=129.9) == ALLOWED


def test_denials_are_remembered_too():
    cache = DecisionCache(ttl_seconds=30)
    cache.put(key(), DENIED, generation=0, now=0.0)

    assert cache.get(key(), generation=0, now=1.0) == DENIED


def test_a_decision_is_forgotten_when_its_time_is_up():
    cache = DecisionCache(ttl_seconds=30)
    cache.put(key(), ALLOWED, generation=4, now=100.0)

    assert cache.get(key(), generation=4, now=130.0) is None
    assert len(cache) == 0


@pytest.mark.parametrize("moved_to", [5, 6, 3])
def test_a_decision_is_forgotten_as_soon_as_the_clinics_generation_moves(moved_to):
    cache = DecisionCache(ttl_seconds=30)
    cache.put(key(), ALLOWED, generation=4, now=100.0)

    assert cache.get(key(), generation=moved_to, now=100.1) is None
    assert cache.get(key(), generation=4, now=100.2) is None  # gone, not kept for the old generation


def test_a_zero_ttl_remembers_nothing():
    cache = DecisionCache(ttl_seconds=0)
    cache.put(key(), ALLOWED, generation=0, now=0.0)

    assert cache.get(key(), generation=0, now=0.0) is None


def test_decisions_are_kept_apart_by_action():
    cache = DecisionCache(ttl_seconds=30)
    cache.put(key("appointments.read"), ALLOWED, 0, 0.0)

    assert cache.get(key("appointments.manage"), 0, 1.0) is None


def test_decisions_are_kept_apart_by_principal():
    cache = DecisionCache(ttl_seconds=30)
    other = Principal(uuid.uuid4(), AccountKind.PROVIDER, CLINIC, uuid.uuid4(), True)
    cache.put(key(who=SPECIALIST), ALLOWED, 0, 0.0)

    assert cache.get(key(who=other), 0, 1.0) is None


def test_the_key_records_whether_the_principal_owns_the_resource_not_whose_it_is():
    someone, someone_else = uuid.uuid4(), uuid.uuid4()

    assert key(owner=someone) == key(owner=someone_else)
    assert key(owner=SPECIALIST.account_id) != key(owner=someone)
    assert key(owner=None) not in (key(owner=someone), key(owner=SPECIALIST.account_id))
    assert (key(owner=SPECIALIST.account_id).owns_resource, key(owner=someone).owns_resource, key().owns_resource) \
        == (True, False, None)


def test_a_decision_on_ones_own_resource_is_not_used_for_someone_elses():
    cache = DecisionCache(ttl_seconds=30)
    cache.put(key(owner=SPECIALIST.account_id), ALLOWED, 0, 0.0)

    assert cache.get(key(owner=uuid.uuid4()), 0, 1.0) is None


def test_past_its_bound_the_least_recently_used_decision_goes_first():
    cache = DecisionCache(ttl_seconds=30, max_entries=2)
    first, second, third = key("a.read"), key("b.read"), key("c.read")
    cache.put(first, ALLOWED, 0, 0.0)
    cache.put(second, ALLOWED, 0, 0.0)
    cache.get(first, 0, 1.0)  # first is used again: second is now the least recently used

    cache.put(third, ALLOWED, 0, 2.0)

    assert len(cache) == 2
    assert cache.get(second, 0, 3.0) is None
    assert cache.get(first, 0, 3.0) == ALLOWED and cache.get(third, 0, 3.0) == ALLOWED
