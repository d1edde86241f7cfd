"""The gateway asks entitlements once and remembers, until the clinic's access generation moves
or the time is up; an outage is never an allow."""

from __future__ import annotations

import uuid

import pytest

from gateway.adapters.entitlements import Resource
from gateway.adapters.upstream import ServiceUnavailable
from gateway.domain.access import Decision, DecisionCache, Scope
from gateway.domain.principal import AccountKind, Principal
from gateway.service_layer.access import decide

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
RECEPTIONIST = Principal(uuid.uuid4(), AccountKind.STAFF, CLINIC, uuid.uuid4(), True)
OPERATOR = Principal(uuid.uuid4(), AccountKind.OPERATOR, None, uuid.uuid4(), True)
ALLOWED = Decision(True, Scope.ANY, "granted", "granted by role receptionist")
DENIED = Decision(False, None, "not_granted", "no role of the account grants roles.manage")


class FakeEntitlements:
    """Answers from a script and records every question."""

    def __init__(self, *answers: Decision | Exception) -> None:
        self.answers = list(answers)
        self.questions: list[tuple] = []

    def decide(self, principal, action, clinic_id, resource):
        self.questions.append((principal.account_id, action, clinic_id, resource))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeGenerations:
    def __init__(self) -> None:
        self.by_clinic: dict[uuid.UUID, int] = {}
        self.lookups: list[uuid.UUID] = []

    def current(self, clinic_id: uuid.UUID) -> int:
        self.lookups.append(clinic_id)
        return self.by_clinic.get(clinic_id, 0)


@pytest.fixture
def generations() -> FakeGenerations:
    return FakeGenerations()


def ask(entitlements, generations, *, now: float = 0.0, cache: DecisionCache, who: Principal = RECEPTIONIST,
        action: str = "accounts.read", clinic_id: uuid.UUID | None = CLINIC, resource: Resource | None = None):
    return decide(who, action, clinic_id, resource, entitlements=entitlements, cache=cache,
                  generations=generations, now=now)


def test_the_first_question_goes_to_entitlements_with_the_resource(generations):
    entitlements = FakeEntitlements(ALLOWED)
    owner = uuid.uuid4()
    resource = Resource("accounts", str(owner), owner)

    assert ask(entitlements, generations, cache=DecisionCache(30), resource=resource) == ALLOWED
    assert entitlements.questions == [(RECEPTIONIST.account_id, "accounts.read", CLINIC, resource)]


def test_the_same_question_within_the_ttl_is_answered_from_memory(generations):
    entitlements, cache = FakeEntitlements(ALLOWED), DecisionCache(30)
    ask(entitlements, generations, cache=cache, now=0.0)

    assert ask(entitlements, generations, cache=cache, now=29.0) == ALLOWED
    assert len(entitlements.questions) == 1


def test_each_answer_costs_one_generation_lookup_of_its_clinic(generations):
    entitlements, cache = FakeEntitlements(ALLOWED), DecisionCache(30)
    ask(entitlements, generations, cache=cache)
    ask(entitlements, generations, cache=cache)

    assert generations.lookups == [CLINIC, CLINIC]


def test_a_role_change_in_the_clinic_makes_the_gateway_ask_again(generations):
    entitlements, cache = FakeEntitlements(ALLOWED, DENIED), DecisionCache(30)
    ask(entitlements, generations, cache=cache)
    generations.by_clinic[CLINIC] = 1  # the worker consumed a RoleAssignmentRevokedV1

    assert ask(entitlements, generations, cache=cache, now=1.0) == DENIED
    assert len(entitlements.questions) == 2


def test_a_role_change_in_another_clinic_changes_nothing_here(generations):
    entitlements, cache = FakeEntitlements(ALLOWED), DecisionCache(30)
    ask(entitlements, generations, cache=cache)
    generations.by_clinic[uuid.uuid4()] = 7

    assert ask(entitlements, generations, cache=cache, now=1.0) == ALLOWED
    assert len(entitlements.questions) == 1


def test_an_answer_given_while_the_generation_moved_is_not_trusted_afterwards(generations):
    """The generation is read before asking: a change landing during the call makes the answer stale."""

    class ChangingWhileAsked(FakeEntitlements):
        def decide(self, *question):
            generations.by_clinic[CLINIC] = generations.by_clinic.get(CLINIC, 0) + 1
            return super().decide(*question)

    entitlements, cache = ChangingWhileAsked(ALLOWED, DENIED), DecisionCache(30)
    ask(entitlements, generations, cache=cache)

    assert ask(entitlements, generations, cache=cache, now=1.0) == DENIED


def test_after_the_ttl_the_gateway_asks_again(generations):
    entitlements, cache = FakeEntitlements(ALLOWED, DENIED), DecisionCache(30)
    ask(entitlements, generations, cache=cache, now=0.0)

    assert ask(entitlements, generations, cache=cache, now=30.0) == DENIED


def test_an_outage_is_raised_and_nothing_is_remembered(generations):
    entitlements, cache = FakeEntitlements(ServiceUnavailable("entitlements", "ConnectTimeout"), ALLOWED), \
        DecisionCache(30)

    with pytest.raises(ServiceUnavailable):
        ask(entitlements, generations, cache=cache)
    assert len(cache) == 0
    assert ask(entitlements, generations, cache=cache) == ALLOWED


def test_platform_decisions_concern_no_clinic_and_look_up_no_generation(generations):
    entitlements, cache = FakeEntitlements(ALLOWED), DecisionCache(30)

    ask(entitlements, generations, cache=cache, who=OPERATOR, action="platform.clinics.manage", clinic_id=None)
    ask(entitlements, generations, cache=cache, who=OPERATOR, action="platform.clinics.manage", clinic_id=None)

    assert generations.lookups == []
    assert entitlements.questions == [(OPERATOR.account_id, "platform.clinics.manage", None, None)]
