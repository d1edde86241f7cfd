"""A clinic's catalog end to end (issue 4), through the gateway of the running platform: an
operator registers a clinic and appoints its admin, who sets a password from the invitation
email, builds the clinic's offer and sees patients read it back; scheduling's read model follows
every change through the real broker within a second."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from .conftest import Caller, eventually, register_clinic

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n before your first session: wear comfortable clothes"


@dataclass
class Clinic:
    id: str
    slug: str
    admin: Caller

    @property
    def admin_path(self) -> str:
        return f"/v1/admin/clinics/{self.slug}"

    def add(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.admin.call("POST", self.admin_path + path, 201, json=body,
                               headers={"Idempotency-Key": uuid.uuid4().hex}).json()


@pytest.fixture(scope="module")
def clinic(platform) -> Clinic:
    """A clinic registered by the platform's operator, and its admin signed in with the password
    they chose from their invitation."""
    slug = f"physio-{uuid.uuid4().hex[:8]}"
    clinic_id, admin = register_clinic(platform, slug, "Physio Iasi", "Europe/Bucharest")
    return Clinic(clinic_id, slug, admin)


def test_a_clinic_builds_its_offer_and_patients_read_it_back_publicly(platform, clinic):
    ana = clinic.add("/providers", {"name": "Dr. Ana Popescu", "email": f"ana@{clinic.slug}.example",
                                    "mobile": "+40712345678", "timezone": "Europe/Bucharest"})
    dan = clinic.add("/providers", {"name": "Dr. Dan Marin", "email": f"dan@{clinic.slug}.example",
                                    "timezone": "Europe/Bucharest"})
    service = clinic.add("/services", {
        "name": "Knee rehabilitation", "description": "Assessment and exercises, 50 minutes.",
        "duration_minutes": 50, "price": {"amount_minor": 20000, "currency": "RON"},
        "provider_ids": [ana["id"], dan["id"]]})
    clinic.add(f"/services/{service['id']}/calendars", {"name": "Standard", "kind": "standard"})
    clinic.add(f"/services/{service['id']}/calendars", {
        "name": "Spring offer", "kind": "promotion", "price": {"amount_minor": 15000, "currency": "RON"},
        "bookable_from": "2027-03-01", "bookable_until": "2027-05-31"})
    band = clinic.add("/products", {"name": "Resistance band", "price": {"amount_minor": 4500, "currency": "RON"}})
    clinic.add("/plans", {
        "name": "Knee programme", "kind": "hybrid", "price": {"amount_minor": 90000, "currency": "RON"},
        "sessions": 6, "access_window": {"count": 3, "unit": "month"}, "service_ids": [service["id"]],
        "access_grants": ["telerehab"], "products": [{"product_id": band["id"], "quantity": 1}]})
    held = clinic.admin.call("GET", f"{clinic.admin_path}/services/{service['id']}")
    document = clinic.admin.call("POST", f"{clinic.admin_path}/services/{service['id']}/documents", 201,
                                 headers={"If-Match": held.headers["ETag"]},
                                 files={"file": ("preparation.pdf", PDF, "application/pdf")},
                                 data={"kind": "preparation", "title": "Before your first session"}).json()

    patient = Caller(platform.urls["gateway"])
    public = f"/v1/clinics/{clinic.slug}"
    [offered] = patient.call("GET", f"{public}/services").json()["services"]
    calendars = patient.call("GET", f"{public}/services/{service['id']}/calendars").json()["calendars"]
    [plan] = patient.call("GET", f"{public}/services/{service['id']}/plans").json()["plans"]
    file = patient.call("GET", f"{public}/services/{service['id']}/documents/{document['id']}/content")
    specialists = patient.call("GET", f"{public}/providers").json()["providers"]
    detail = patient.call("GET", f"{public}/services/{service['id']}")

    assert {k: offered[k] for k in ("id", "name", "description", "duration_minutes", "price", "provider_ids")} == {
        "id": service["id"], "name": "Knee rehabilitation", "description": "Assessment and exercises, 50 minutes.",
        "duration_minutes": 50, "price": {"amount_minor": 20000, "currency": "RON"},
        "provider_ids": [ana["id"], dan["id"]]}
    assert detail.json() == offered
    assert [d["title"] for d in offered["documents"]] == ["Before your first session"]
    assert [(c["kind"], c["price"]["amount_minor"], c["bookable_until"]) for c in calendars] == [
        ("standard", 20000, None), ("promotion", 15000, "2027-05-31")]
    assert (plan["kind"], plan["sessions"], plan["products"]) == ("hybrid", 6, [{"product_id": band["id"],
                                                                                   "quantity": 1}])
    assert (file.content, file.headers["Content-Type"]) == (PDF, "application/pdf")
    assert specialists == [{"id": ana["id"], "name": "Dr. Ana Popescu"}, {"id": dan["id"], "name": "Dr. Dan Marin"}]
    every_public_answer = "".join([detail.text, str(calendars), str(plan), str(specialists)])
    assert "@" not in every_public_answer and "+40712345678" not in every_public_answer


def test_schedulings_read_model_follows_a_change_and_an_archive_within_a_second(platform, clinic):
    specialist = clinic.add("/providers", {"name": "Dr. Ioana Pop", "email": f"ioana@{clinic.slug}.example",
                                           "timezone": "Europe/Bucharest"})
    service = clinic.add("/services", {"name": "Massage", "duration_minutes": 30,
                                       "price": {"amount_minor": 12000, "currency": "RON"},
                                       "provider_ids": [specialist["id"]]})
    read_model = f"{platform.urls['scheduling']}/clinics/{clinic.id}/services/{service['id']}"

    def scheduling_shows(**expected: Any) -> bool:
        response = requests.get(read_model, timeout=5)
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200 and all(response.json()[k] == v for k, v in expected.items())

    assert eventually(lambda: scheduling_shows(version=service["version"]), within=1.0)

    changed = clinic.admin.call("PUT", f"{clinic.admin_path}/services/{service['id']}",
                                headers={"If-Match": f'"{service["version"]}"'},
                                json={"name": "Massage", "duration_minutes": 45,
                                      "price": {"amount_minor": 15000, "currency": "RON"},
                                      "provider_ids": [specialist["id"]]}).json()
    assert eventually(lambda: scheduling_shows(duration_minutes=45, version=changed["version"]), within=1.0)

    clinic.admin.call("POST", f"{clinic.admin_path}/services/{service['id']}/archive",
                      headers={"If-Match": f'"{changed["version"]}"'})
    assert eventually(lambda: scheduling_shows(archived=True), within=1.0)
    patient = Caller(platform.urls["gateway"])
    patient.call("GET", f"/v1/clinics/{clinic.slug}/services/{service['id']}", 404)
