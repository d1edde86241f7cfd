"""A sign-up whose address is longer than its column once lower-cased (the key it is stored and
looked up by) is refused with 422 on the address, and nothing of it is kept."""

from __future__ import annotations

import uuid

import pytest

from gateway.adapters.catalog import ClinicListing

pytestmark = pytest.mark.integration

CLINIC = ClinicListing(uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60"), "clinica-lunga", "Clinica Lungă", False, {})
LENGTHENED_BY_LOWER_CASE = "İ" * 200 + "@example.ro"  # 211 characters, 411 once lower-cased


class OneClinic:
    """Catalog's directory, holding the one clinic this test signs up at."""

    def by_slug(self, slug: str) -> ClinicListing | None:
        return CLINIC if slug == CLINIC.slug else None


def test_a_sign_up_whose_lower_cased_address_outgrows_its_column_is_refused_and_keeps_nothing(
        gateway_database, build_gateway_app, identity):
    app = build_gateway_app()
    app.extensions["access"].clinics = OneClinic()

    response = app.test_client().post(f"/v1/clinics/{CLINIC.slug}/patients/accounts", json={
        "email": LENGTHENED_BY_LOWER_CASE, "display_name": "Ioana Vasilescu",
        "password": "lantern over the quiet harbour"})

    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert [error["field"] for error in response.get_json()["errors"]] == ["email"]
    assert [identity.count(table) for table in ("sign_ups", "one_time_tokens", "accounts")] == [0, 0, 0]
