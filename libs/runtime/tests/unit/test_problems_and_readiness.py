"""Errors are RFC 9457 problems; readiness separates what is required from what is reported."""

from __future__ import annotations

from datetime import timedelta

from clinic_runtime.messaging.outbox import MAX_BACKOFF, retry_delay
from clinic_runtime.messaging.topology import Topology
from clinic_runtime.problems import FieldError, Problem, validation_problem
from clinic_runtime.web import Readiness


def test_a_validation_problem_names_each_field():
    body = validation_problem([FieldError("currency", "not ISO 4217"), FieldError("slug", "bad")]).to_dict("/clinics")
    assert body["type"] == "https://problems.clinic-platform.dev/validation-error"
    assert body["status"] == 422
    assert body["instance"] == "/clinics"
    assert body["errors"] == [{"field": "currency", "message": "not ISO 4217"}, {"field": "slug", "message": "bad"}]


def test_problem_extensions_are_top_level_members():
    body = Problem(409, "slot-taken", "Conflict.", extensions={"slot_start": "09:00"}).to_dict()
    assert body["slot_start"] == "09:00" and "errors" not in body and "detail" not in body


def test_readiness_fails_only_on_a_required_check():
    ok, down = (lambda: (True, "fine")), (lambda: (False, "down"))
    assert Readiness({"database": ok}, {"broker": ok}).evaluate()[1] == 200
    body, status = Readiness({"database": ok}, {"broker": down}).evaluate()
    assert (status, body["status"]) == (200, "degraded")
    body, status = Readiness({"database": down}, {"broker": ok}).evaluate()
    assert (status, body["status"]) == (503, "not_ready")
    assert body["checks"]["database"] == {"ok": False, "detail": "down", "required": True}


def test_failed_publishes_back_off_exponentially_up_to_a_cap():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert retry_delay(40) == MAX_BACKOFF == timedelta(minutes=5)


def test_topology_names_are_namespaced():
    t = Topology("clinic")
    assert (t.events_exchange, t.group_queue("scheduling"), t.dead_letter_queue("scheduling")) == (
        "clinic.events", "clinic.scheduling", "clinic.scheduling.dead-letters")
