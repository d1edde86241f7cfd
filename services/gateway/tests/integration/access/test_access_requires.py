"""What `requires` does before a view runs, on the real platform: the clinic's MFA rule, the
answers when a service behind the gateway is down, and remembered decisions."""

from __future__ import annotations

import pytest

from clinic_runtime.db import transaction, utcnow
from gateway.adapters.access_tables import SqlAccessGenerations

pytestmark = pytest.mark.integration

CLOSED_PORT = "http://127.0.0.1:1"


@pytest.fixture
def clinic(fresh_clinic):
    return fresh_clinic()


@pytest.fixture
def clinic_requiring_mfa(platform, clinic):
    response = platform.client.put(f"{clinic.admin_path}/security", json={"mfa_required_for_staff": True},
                                   headers={**clinic.admin.headers, "If-Match": '"0"'})
    assert response.status_code == 200
    return clinic


def without_mfa(platform, member):
    return platform.sign_in(member.account_id, member.kind, member.clinic_id, mfa_verified=False)


# -- the clinic's MFA requirement -------------------------------------------------------------


@pytest.mark.parametrize("who", ["receptionist", "specialist"])
def test_staff_and_providers_signed_in_without_mfa_are_turned_away_where_the_clinic_requires_it(
        platform, clinic_requiring_mfa, problem_of, who):
    clinic = clinic_requiring_mfa
    member = without_mfa(platform, getattr(clinic, who))

    response = platform.client.get(f"{clinic.admin_path}/accounts", headers=member.headers)

    assert response.status_code == 403
    assert problem_of(response)["type"].endswith("/mfa-required")


def test_staff_signed_in_with_mfa_are_let_through_where_the_clinic_requires_it(platform, clinic_requiring_mfa):
    clinic = clinic_requiring_mfa

    assert platform.client.get(f"{clinic.admin_path}/accounts", headers=clinic.receptionist.headers).status_code == 200


def test_patients_are_exempt_from_the_clinics_mfa_requirement(platform, clinic_requiring_mfa):
    clinic = clinic_requiring_mfa
    patient = without_mfa(platform, clinic.patient)

    assert platform.client.get(f"{clinic.admin_path}/accounts", headers=patient.headers).status_code == 200


def test_staff_without_mfa_are_let_through_where_the_clinic_does_not_require_it(platform, clinic):
    member = without_mfa(platform, clinic.receptionist)

    assert platform.client.get(f"{clinic.admin_path}/accounts", headers=member.headers).status_code == 200


def test_another_clinics_staff_learn_nothing_of_this_clinics_mfa_rule(platform, clinic_requiring_mfa, tenants,
                                                                      problem_of):
    clinic = clinic_requiring_mfa
    intruder = without_mfa(platform, tenants.other.receptionist)

    response = platform.client.get(f"{clinic.admin_path}/accounts", headers=intruder.headers)

    assert response.status_code == 404


# -- the services behind the gateway ----------------------------------------------------------


def test_without_entitlements_a_protected_route_fails_closed_with_503(platform, tenants, problem_of):
    gateway = platform.another_gateway(entitlements_url=CLOSED_PORT)

    response = gateway.get(f"{tenants.mine.admin_path}/accounts", headers=tenants.mine.admin.headers)

    assert response.status_code == 503
    body = problem_of(response)
    assert body["type"].endswith("/service-unavailable")
    assert "accounts" not in body


def test_without_entitlements_nothing_is_changed(platform, clinic, problem_of):
    gateway = platform.another_gateway(entitlements_url=CLOSED_PORT)

    response = gateway.put(f"{clinic.admin_path}/security", json={"mfa_required_for_staff": True},
                           headers={**clinic.admin.headers, "If-Match": '"0"'})

    assert response.status_code == 503
    assert platform.call("GET", f"{clinic.admin_path}/security", clinic.admin)["version"] == 0


def test_without_catalog_a_clinic_route_answers_503(platform, tenants, problem_of):
    gateway = platform.another_gateway(catalog_url=CLOSED_PORT)

    response = gateway.get(f"{tenants.mine.admin_path}/accounts", headers=tenants.mine.admin.headers)

    assert response.status_code == 503
    assert problem_of(response)["detail"].startswith("catalog")


def test_an_unknown_clinic_answers_404_to_a_signed_in_principal(platform, tenants, problem_of):
    response = platform.client.get("/v1/admin/clinics/no-such-clinic/accounts", headers=tenants.mine.admin.headers)

    assert response.status_code == 404
    assert problem_of(response)["detail"] == "No clinic here."


# -- remembered decisions ---------------------------------------------------------------------


def test_a_repeated_question_is_answered_from_memory(platform, clinic):
    gateway = platform.another_gateway()
    asked = platform.entitlements.count("POST", "/decisions")

    for _ in range(3):
        assert gateway.get(f"{clinic.admin_path}/accounts", headers=clinic.receptionist.headers).status_code == 200

    assert platform.entitlements.count("POST", "/decisions") == asked + 1


def test_an_advanced_generation_makes_the_gateway_ask_again(platform, clinic):
    gateway = platform.another_gateway()
    gateway.get(f"{clinic.admin_path}/accounts", headers=clinic.receptionist.headers)
    asked = platform.entitlements.count("POST", "/decisions")

    with transaction(platform.sessions) as session:  # what the worker does on a role event
        SqlAccessGenerations(session).advance(clinic.id, utcnow())
    gateway.get(f"{clinic.admin_path}/accounts", headers=clinic.receptionist.headers)

    assert platform.entitlements.count("POST", "/decisions") == asked + 1


def test_with_no_memory_every_request_asks_entitlements(platform, clinic):
    gateway = platform.another_gateway(access_decision_cache_seconds="0")
    asked = platform.entitlements.count("POST", "/decisions")

    for _ in range(3):
        gateway.get(f"{clinic.admin_path}/accounts", headers=clinic.receptionist.headers)

    assert platform.entitlements.count("POST", "/decisions") == asked + 3


def test_an_entitlements_outage_is_never_remembered(platform, clinic):
    gateway = platform.another_gateway(entitlements_url=CLOSED_PORT)
    gateway.get(f"{clinic.admin_path}/accounts", headers=clinic.receptionist.headers)

    assert len(gateway.application.extensions["access"].decisions) == 0
