"""The gateway's clients of catalog and entitlements, against a local HTTP server answering
what each test scripts: what they send, what they return, and how they fail (closed)."""

from __future__ import annotations

import json
import uuid

import pytest

from clinic_runtime import context
from gateway.adapters.catalog import CatalogClinics
from gateway.adapters.entitlements import EntitlementsClient, Resource
from gateway.adapters.upstream import JsonService, Refused, ServiceUnavailable
from gateway.domain.access import Decision, Scope
from gateway.domain.principal import AccountKind, Principal
from gateway.entrypoints.access import relayed

from .conftest import Scripted

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
SPECIALIST = Principal(uuid.uuid4(), AccountKind.PROVIDER, CLINIC, uuid.uuid4(), True)


@pytest.fixture
def upstream(server) -> tuple[Scripted, str]:
    current, url = server
    current.append(Scripted())
    return current[-1], url


def test_a_2xx_answer_is_returned_with_its_status_body_and_headers(upstream):
    scripted, url = upstream
    scripted.answer(201, {"key": "x"}, ETag='"1"')

    reply = JsonService("entitlements", url, 2).call("POST", "/things", json={"a": 1})

    assert (reply.status, reply.body, reply.etag) == (201, {"key": "x"}, '"1"')


def test_the_correlation_id_goes_along_and_unset_headers_are_not_sent(upstream):
    scripted, url = upstream
    scripted.answer(200, {})
    context.set_correlation_id("booking-42")

    JsonService("catalog", url, 2).call("GET", "/x", headers={"If-Match": None, "X-Actor-Id": "a"})

    _, _, headers, _ = scripted.received[0]
    assert headers["X-Correlation-Id"] == "booking-42"
    assert headers["X-Actor-Id"] == "a"
    assert "If-Match" not in headers


def test_a_4xx_answer_is_refused_with_the_services_problem(upstream):
    scripted, url = upstream
    scripted.answer(404, {"type": "https://problems.clinic-platform.dev/not-found", "title": "Not found.",
                          "status": 404}, content_type="application/problem+json")

    with pytest.raises(Refused) as refused:
        JsonService("entitlements", url, 2).call("GET", "/clinics/x/roles")

    assert refused.value.reply.status == 404
    assert refused.value.reply.body["title"] == "Not found."


@pytest.mark.parametrize(("status", "body", "content_type"), [
    (500, {"title": "boom"}, "application/json"),
    (503, {"status": "not_ready"}, "application/json"),
    (200, "<html>a proxy's error page</html>", "text/html"),
])
def test_a_5xx_or_unreadable_answer_is_an_outage(upstream, status, body, content_type):
    scripted, url = upstream
    scripted.answer(status, body, content_type)

    with pytest.raises(ServiceUnavailable):
        JsonService("entitlements", url, 2).call("GET", "/x")


def test_a_service_that_does_not_listen_is_an_outage():
    with pytest.raises(ServiceUnavailable) as outage:
        JsonService("entitlements", "http://127.0.0.1:1", 2).call("GET", "/x")

    assert outage.value.service == "entitlements"


def test_proxies_from_the_environment_are_not_used_to_reach_a_service(upstream, monkeypatch):
    scripted, url = upstream
    scripted.answer(200, {"ok": True})
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:1")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    reply = JsonService("catalog", url, 2).call("GET", "/x")

    assert reply.body == {"ok": True}


def test_a_decision_is_asked_with_the_principal_clinic_and_resource_and_read_typed(upstream):
    scripted, url = upstream
    scripted.answer(200, {"allowed": True, "scope": "own", "reason_code": "granted", "reason": "role specialist"})
    client = EntitlementsClient(JsonService("entitlements", url, 2))

    decision = client.decide(SPECIALIST, "accounts.read", CLINIC,
                             Resource("accounts", str(SPECIALIST.account_id), SPECIALIST.account_id))

    assert decision == Decision(True, Scope.OWN, "granted", "role specialist")
    method, path, _, body = scripted.received[0]
    assert (method, path) == ("POST", "/decisions")
    assert json.loads(body) == {
        "principal": {"id": str(SPECIALIST.account_id), "kind": "provider", "clinic_id": str(CLINIC)},
        "action": "accounts.read", "clinic_id": str(CLINIC),
        "resource": {"type": "accounts", "id": str(SPECIALIST.account_id), "owner_id": str(SPECIALIST.account_id)},
    }


def test_a_denial_carries_no_scope(upstream):
    scripted, url = upstream
    scripted.answer(200, {"allowed": False, "scope": None, "reason_code": "not_owner", "reason": "not yours"})

    decision = EntitlementsClient(JsonService("entitlements", url, 2)).decide(SPECIALIST, "accounts.read", CLINIC,
                                                                             None)

    assert decision == Decision(False, None, "not_owner", "not yours")


@pytest.mark.parametrize("answer", [{"allowed": True}, {"allowed": True, "scope": "everything", "reason_code": "x",
                                                        "reason": "y"}, []])
def test_a_decision_that_cannot_be_read_is_an_outage_never_an_allow(upstream, answer):
    scripted, url = upstream
    scripted.answer(200, answer)

    with pytest.raises(ServiceUnavailable):
        EntitlementsClient(JsonService("entitlements", url, 2)).decide(SPECIALIST, "accounts.read", CLINIC, None)


@pytest.mark.parametrize("role_key", ["../../decisions", "x?allowed=true", "x#y", "a/b"])
def test_a_role_key_from_the_url_stays_one_path_segment(upstream, role_key):
    scripted, url = upstream
    scripted.answer(200, {})
    principal = uuid.uuid4()

    EntitlementsClient(JsonService("entitlements", url, 2)).grant(CLINIC, principal, role_key, None)

    prefix = f"/clinics/{CLINIC}/principals/{principal}/roles/"
    [raw] = scripted.raw_paths
    assert raw.startswith(prefix)
    assert all(c not in raw.removeprefix(prefix) for c in "/?#")


def test_a_clinic_found_by_slug_is_remembered_for_the_ttl(upstream):
    scripted, url = upstream
    found = {"id": str(CLINIC), "slug": "physio", "name": "Physio", "archived": False}
    scripted.answer(200, {"clinics": [found]})
    scripted.answer(200, {"clinics": [found]})
    now = [100.0]
    clinics = CatalogClinics(JsonService("catalog", url, 2), cache_seconds=10, clock=lambda: now[0])

    first = clinics.by_slug("physio")
    now[0] = 109.9
    second = clinics.by_slug("physio")
    now[0] = 110.0
    third = clinics.by_slug("physio")

    assert first == second == third
    assert (first.id, first.slug, first.representation) == (CLINIC, "physio", found)
    assert [path for _, path, _, _ in scripted.received] == ["/clinics?slug=physio", "/clinics?slug=physio"]


def test_an_unknown_slug_is_not_remembered(upstream):
    scripted, url = upstream
    scripted.answer(200, {"clinics": []})
    scripted.answer(200, {"clinics": [{"id": str(CLINIC), "slug": "new", "name": "New", "archived": False}]})
    clinics = CatalogClinics(JsonService("catalog", url, 2), cache_seconds=10, clock=lambda: 0.0)

    assert clinics.by_slug("new") is None
    assert clinics.by_slug("new").id == CLINIC  # registered meanwhile: found at once


def test_a_services_problem_becomes_the_gateways_own_with_its_fields_and_extensions():
    from gateway.adapters.upstream import Reply

    refused = Refused("entitlements", Reply(409, {
        "type": "https://problems.clinic-platform.dev/role-in-use", "title": "Conflict.", "status": 409,
        "detail": "2 principal(s) hold x", "instance": "/clinics/abc/roles/x/archive", "holders": 2,
        "errors": [{"field": "key", "message": "in use"}]}))

    problem = relayed(refused)

    assert (problem.status, problem.kind, problem.title, problem.detail) == (
        409, "role-in-use", "Conflict.", "2 principal(s) hold x")
    assert [(e.field, e.message) for e in problem.errors] == [("key", "in use")]
    assert problem.extensions == {"holders": 2}
    assert "instance" not in problem.to_dict()
