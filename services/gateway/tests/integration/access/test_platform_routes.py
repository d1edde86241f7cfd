"""The platform operators' routes: registering a clinic in catalog, reading it, appointing its
first admin (an account here, clinic_admin at entitlements)."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


def profile(slug: str, **changes) -> dict:
    return {"slug": slug, "name": "Physio Iasi", "timezone": "Europe/Bucharest", "currency": "RON",
            "locale": "ro-RO", **changes}


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def test_an_operator_registers_a_clinic_in_catalog(platform):
    slug = unique("physio")

    response = platform.client.post("/v1/platform/clinics", json=profile(slug), headers=platform.operator.headers)

    assert response.status_code == 201, response.get_data(as_text=True)
    clinic = response.get_json()
    assert {k: clinic[k] for k in ("slug", "name", "currency", "version", "archived")} == {
        "slug": slug, "name": "Physio Iasi", "currency": "RON", "version": 1, "archived": False}
    assert response.headers["Location"] == f"/v1/platform/clinics/{slug}"
    assert response.headers["ETag"] == '"1"'
    found = platform.client.get(response.headers["Location"], headers=platform.operator.headers)
    assert found.status_code == 200
    assert found.get_json() == clinic


def test_a_repeated_idempotency_key_registers_the_clinic_once(platform):
    slug, key = unique("physio"), {"Idempotency-Key": unique("register")}
    headers = {**platform.operator.headers, **key}

    first = platform.client.post("/v1/platform/clinics", json=profile(slug), headers=headers)
    again = platform.client.post("/v1/platform/clinics", json=profile(slug), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_catalogs_refusal_of_a_profile_is_answered_with_its_fields(platform, problem_of):
    response = platform.client.post("/v1/platform/clinics", json=profile(unique("x"), currency="ZZZ",
                                                                          timezone="Mars/Olympus"),
                                    headers=platform.operator.headers)

    assert response.status_code == 422
    body = problem_of(response)
    assert {e["field"] for e in body["errors"]} >= {"currency", "timezone"}
    assert body["instance"] == "/v1/platform/clinics"


def test_a_taken_slug_is_refused_with_409(platform, tenants, problem_of):
    response = platform.client.post("/v1/platform/clinics", json=profile(tenants.mine.slug),
                                    headers=platform.operator.headers)

    assert response.status_code == 409
    assert problem_of(response)["type"].endswith("/slug-taken")


def test_reading_an_unknown_clinic_answers_404(platform, problem_of):
    response = platform.client.get("/v1/platform/clinics/nowhere-at-all", headers=platform.operator.headers)

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")


def test_an_operator_appoints_a_clinics_first_admin_who_may_then_administer_it(platform, problem_of):
    slug = unique("physio")
    platform.call("POST", "/v1/platform/clinics", platform.operator, json=profile(slug), expect=201)

    response = platform.client.post(f"/v1/platform/clinics/{slug}/admins", headers=platform.operator.headers,
                                    json={"email": f"head@{slug}.example", "display_name": "Head of Clinic"})

    assert response.status_code == 201, response.get_data(as_text=True)
    admin = response.get_json()
    assert (admin["kind"], admin["display_name"], admin["roles"]) == ("staff", "Head of Clinic", ["clinic_admin"])
    assert response.headers["Location"] == f"/v1/admin/clinics/{slug}/accounts/{admin['id']}"
    platform.mail_links()
    [invitation] = platform.mail.sent_to(f"head@{slug}.example")
    assert "token=" in invitation.get_payload(decode=True).decode()
    signed_in = platform.sign_in(uuid.UUID(admin["id"]), platform.operator.kind.STAFF, uuid.UUID(admin["clinic_id"]))
    roles = platform.call("GET", f"/v1/admin/clinics/{slug}/accounts/{admin['id']}/roles", signed_in)
    assert roles == {"account_id": admin["id"], "roles": ["clinic_admin"]}


def test_appointing_an_admin_with_a_taken_address_is_refused_and_grants_nothing(platform, tenants, problem_of):
    response = platform.client.post(f"/v1/platform/clinics/{tenants.other.slug}/admins",
                                    headers=platform.operator.headers,
                                    json={"email": tenants.mine.admin.email, "display_name": "Impostor"})

    assert response.status_code == 409
    assert problem_of(response)["type"].endswith("/email-taken")
