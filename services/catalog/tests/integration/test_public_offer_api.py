"""What patients may see of a clinic's offer (the reads the gateway exposes publicly): active
entries only, never staff-only data (PostgreSQL and SQLite)."""

from __future__ import annotations

import io

import pytest

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7 consent"
PUBLIC_SERVICE_FIELDS = {"id", "name", "description", "duration_minutes", "price", "provider_ids",
                         "cancellation_window_hours", "refund_policy", "minimum_notice_minutes",
                         "booking_horizon_days", "documents"}


@pytest.fixture
def offer(client, catalog):
    """Two specialists, a service they deliver with a consent document, a standard and a promotion
    calendar, a hybrid plan bundling a product; plus archived entries patients must not see."""
    ana = catalog.provider(name="Dr. Ana Popescu", email="ana@dentalcare.ro")
    ion = catalog.provider(name="Dr. Ion Rus", email="ion@dentalcare.ro", mobile=None)
    service = catalog.service(provider_ids=[ana["id"], ion["id"]],
                              required_forms=[{"kind": "consent", "template_key": "treatment-consent"}])
    documents = catalog.url(f"/services/{service['id']}/documents")
    consent = client.post(documents, headers={"If-Match": '"1"'}, content_type="multipart/form-data", data={
        "file": (io.BytesIO(PDF), "consent.pdf", "application/pdf"), "kind": "consent"}).get_json()
    withdrawn = client.post(documents, headers={"If-Match": '"2"'}, content_type="multipart/form-data", data={
        "file": (io.BytesIO(PDF), "old.pdf", "application/pdf"), "kind": "consent"}).get_json()
    client.post(f"{documents}/{withdrawn['id']}/archive", headers={"If-Match": '"3"'})
    standard = catalog.calendar(service)
    promotion = catalog.calendar(service, name="Spring promotion", kind="promotion",
                                 price={"amount_minor": 15000, "currency": "RON"}, bookable_from="2026-04-01",
                                 bookable_until="2026-04-30")
    ended = catalog.calendar(service, name="Winter")
    client.post(catalog.url(f"/services/{service['id']}/calendars/{ended['id']}/archive"), headers={"If-Match": '"1"'})
    band = catalog.product()
    plan = catalog.plan([service], name="3-month recovery", kind="hybrid", sessions=6,
                        access_window={"count": 3, "unit": "month"}, access_grants=["telerehab"],
                        products=[{"product_id": band["id"], "quantity": 1}])
    retired = catalog.service(name="Retired")
    client.post(catalog.url(f"/services/{retired['id']}/archive"), headers={"If-Match": '"1"'})
    return {"ana": ana, "ion": ion, "service": service, "consent": consent, "standard": standard,
            "promotion": promotion, "plan": plan, "band": band, "retired": retired}


def test_patients_see_the_active_services_with_the_designs_public_fields(client, catalog, offer):
    listed = client.get(catalog.url("/public/services")).get_json()

    [service] = listed["services"]
    assert set(service) == PUBLIC_SERVICE_FIELDS
    assert (service["id"], service["name"], service["duration_minutes"], service["price"]) == (
        offer["service"]["id"], "Physiotherapy session", 50, {"amount_minor": 20000, "currency": "RON"})
    assert service["provider_ids"] == [offer["ana"]["id"], offer["ion"]["id"]]
    assert (service["cancellation_window_hours"], service["refund_policy"]["kind"]) == (24, "full")
    assert (service["minimum_notice_minutes"], service["booking_horizon_days"]) == (60, 180)
    assert [d["id"] for d in service["documents"]] == [offer["consent"]["id"]]
    assert listed["next_cursor"] is None


def test_patients_never_see_contact_details_versions_or_internal_keys(client, catalog, offer):
    service = offer["service"]
    reads = [client.get(catalog.url(path)).get_data(as_text=True) for path in (
        "/public/services", f"/public/services/{service['id']}", f"/public/services/{service['id']}/calendars",
        f"/public/services/{service['id']}/plans", "/public/providers")]

    for read in reads:
        assert "dentalcare.ro" not in read and "+40712345678" not in read
        assert '"version"' not in read and "treatment-consent" not in read and '"sha256"' not in read


def test_patients_see_the_active_calendars_at_the_price_they_pay(client, catalog, offer):
    calendars = client.get(catalog.url(f"/public/services/{offer['service']['id']}/calendars")).get_json()

    assert {c["id"]: c["price"]["amount_minor"] for c in calendars["calendars"]} == {
        offer["standard"]["id"]: 20000, offer["promotion"]["id"]: 15000}


def test_patients_see_how_far_ahead_they_book_a_service_and_through_each_calendar(client, catalog):
    service = catalog.service(name="Massage", minimum_notice_minutes=1440)
    own = catalog.calendar(service, name="Last minute", minimum_notice_minutes=0, booking_horizon_days=7)
    services = catalog.calendar(service, name="Standard")
    plain = catalog.calendar(catalog.service(name="Consultation"))

    read = client.get(catalog.url(f"/public/services/{service['id']}")).get_json()
    calendars = client.get(catalog.url(f"/public/services/{service['id']}/calendars")).get_json()["calendars"]
    [defaulted] = client.get(catalog.url(f"/public/services/{plain['service_id']}/calendars")).get_json()["calendars"]

    assert (read["minimum_notice_minutes"], read["booking_horizon_days"]) == (1440, 180)
    assert {c["id"]: (c["minimum_notice_minutes"], c["booking_horizon_days"]) for c in calendars} == {
        own["id"]: (0, 7), services["id"]: (1440, 180)}
    assert (defaulted["minimum_notice_minutes"], defaulted["booking_horizon_days"]) == (60, 180)


def test_patients_see_the_active_plans_usable_for_a_service(client, catalog, offer):
    plans = client.get(catalog.url(f"/public/services/{offer['service']['id']}/plans")).get_json()["plans"]

    assert [(p["id"], p["kind"], p["sessions"], p["products"]) for p in plans] == [
        (offer["plan"]["id"], "hybrid", 6, [{"product_id": offer["band"]["id"], "quantity": 1}])]


def test_patients_see_specialists_by_name_only(client, catalog, offer):
    providers = client.get(catalog.url("/public/providers")).get_json()["providers"]

    assert {(p["id"], p["name"]) for p in providers} == {(offer["ana"]["id"], "Dr. Ana Popescu"),
                                                          (offer["ion"]["id"], "Dr. Ion Rus")}
    assert all(set(p) == {"id", "name"} for p in providers)


def test_an_archived_service_is_not_offered_nor_its_calendars_and_plans(client, catalog, offer):
    retired = offer["retired"]["id"]

    for path in (f"/public/services/{retired}", f"/public/services/{retired}/calendars",
                 f"/public/services/{retired}/plans"):
        assert client.get(catalog.url(path)).status_code == 404


def test_patients_download_active_documents_only(client, catalog, offer):
    service = offer["service"]["id"]
    archived = client.get(catalog.url(f"/services/{service}")).get_json()["documents"][1]

    active = client.get(catalog.url(f"/public/services/{service}/documents/{offer['consent']['id']}/content"))
    withdrawn = client.get(catalog.url(f"/public/services/{service}/documents/{archived['id']}/content"))

    assert (active.status_code, active.data) == (200, PDF)
    assert withdrawn.status_code == 404


def test_public_services_are_filtered_by_specialist(client, catalog, offer):
    other = catalog.provider(name="Dr. Dan", email="dan@example.ro")

    listed = client.get(catalog.url("/public/services"), query_string={"provider_id": other["id"]}).get_json()

    assert listed == {"services": [], "next_cursor": None}
