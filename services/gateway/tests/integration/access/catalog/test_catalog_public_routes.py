"""A clinic's public catalog: what anyone may read at /v1/clinics/<clinic_slug>/ without a token,
in the design's contract (services with id, name, description, duration_minutes, price,
provider_ids), active entries only, and never a specialist's contact details or another
tenant's data."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration

PROMOTION = {"name": "Spring offer", "kind": "promotion", "price": {"amount_minor": 15000, "currency": "RON"},
             "bookable_from": "2027-03-01", "bookable_until": "2027-05-31"}
PUBLIC_ROUTES = ["/services", "/services/{service}", "/services/{service}/calendars", "/services/{service}/plans",
                 "/services/{service}/documents/{document}/content", "/providers"]
CONTRACT = {"id", "name", "description", "duration_minutes", "price", "provider_ids"}


@pytest.fixture(scope="module")
def shop_window(new_offer) -> dict:
    """What the tests read (none changes it): a clinic with two specialists, a service they
    deliver with a standard and a promotional calendar and a document, a hybrid plan bundling a
    product, another service, and an archived service, calendar and document; and another clinic
    with a service of its own."""
    offer = new_offer()
    ana, dan = offer.provider("Dr. Ana Popescu"), offer.provider("Dr. Dan Marin")
    service = offer.service(provider_ids=[ana["id"], dan["id"]], cancellation_window_hours=48)
    standard, promotion = offer.calendar(service), offer.calendar(service, **PROMOTION)
    document = offer.document(service)
    product = offer.product()
    plan = offer.plan([service], name="Knee programme", kind="hybrid", sessions=6,
                      access_window={"count": 3, "unit": "month"}, access_grants=["telerehab"],
                      products=[{"product_id": product["id"], "quantity": 1}])
    massage = offer.service(name="Massage", provider_ids=[dan["id"]])
    retired = offer.service(name="Retired service")
    archive(offer, f"/services/{retired['id']}")
    archive(offer, f"/services/{service['id']}/calendars/{offer.calendar(service, name='Old')['id']}")
    archive(offer, f"/services/{service['id']}/documents/{offer.document(service)['id']}")
    other = new_offer("other")
    other.service(name="The other clinic's service")
    return {"offer": offer, "ana": ana, "dan": dan, "service": service, "standard": standard,
            "promotion": promotion, "document": document, "product": product, "plan": plan, "massage": massage,
            "retired": retired, "other": other}


@pytest.fixture
def offer(shop_window):
    """The clinic of the shop window (in place of a fresh one)."""
    return shop_window["offer"]


def archive(offer, path: str) -> None:
    etag = offer.etag(path.rsplit("/documents/", 1)[0] if "/documents/" in path else path)
    response = offer.platform.client.post(f"{offer.path}{path}/archive",
                                          headers={**offer.clinic.admin.headers, "If-Match": etag})
    assert response.status_code == 200, response.get_data(as_text=True)


def public(platform, clinic, path: str, expect: int = 200, **headers: str):
    response = platform.client.get(f"/v1/clinics/{clinic.slug}{path}", headers=headers)
    assert response.status_code == expect, response.get_data(as_text=True)
    return response


def test_the_services_are_listed_in_the_designs_contract_with_their_policy_and_documents(platform, offer,
                                                                                         shop_window):
    listed = public(platform, offer.clinic, "/services").get_json()

    services = {s["name"]: s for s in listed["services"]}
    assert set(services) == {"Physiotherapy session", "Massage"}, "an archived service is not offered"
    session = services["Physiotherapy session"]
    assert set(session) >= CONTRACT
    assert {k: session[k] for k in CONTRACT} == {
        "id": shop_window["service"]["id"], "name": "Physiotherapy session", "description": "One to one, 50 minutes.",
        "duration_minutes": 50, "price": {"amount_minor": 20000, "currency": "RON"},
        "provider_ids": [shop_window["ana"]["id"], shop_window["dan"]["id"]]}
    assert (session["cancellation_window_hours"], session["refund_policy"]["kind"]) == (48, "full")
    assert [d["id"] for d in session["documents"]] == [shop_window["document"]["id"]]
    assert listed["next_cursor"] is None


def test_services_are_filtered_by_specialist_and_paged(platform, offer, shop_window):
    by_ana = public(platform, offer.clinic, f"/services?provider_id={shop_window['ana']['id']}").get_json()
    first = public(platform, offer.clinic, "/services?limit=1").get_json()
    rest = public(platform, offer.clinic, f"/services?limit=1&cursor={first['next_cursor']}").get_json()

    assert [s["name"] for s in by_ana["services"]] == ["Physiotherapy session"]
    assert [s["name"] for s in first["services"] + rest["services"]] == ["Physiotherapy session", "Massage"]
    assert rest["next_cursor"] is None


def test_a_bad_filter_is_refused_per_field(platform, offer, problem_of):
    response = public(platform, offer.clinic, "/services?provider_id=ana&limit=1000", 422)

    assert {e["field"] for e in problem_of(response)["errors"]} == {"provider_id", "limit"}


def test_a_service_its_calendars_and_its_plans_are_read_with_what_a_patient_pays(platform, offer, shop_window):
    service_path = f"/services/{shop_window['service']['id']}"

    service = public(platform, offer.clinic, service_path).get_json()
    calendars = public(platform, offer.clinic, f"{service_path}/calendars").get_json()["calendars"]
    plans = public(platform, offer.clinic, f"{service_path}/plans").get_json()["plans"]

    assert service["id"] == shop_window["service"]["id"] and set(service) >= CONTRACT
    assert [(c["name"], c["kind"], c["price"]["amount_minor"]) for c in calendars] == [
        ("Standard", "standard", 20000), ("Spring offer", "promotion", 15000)]
    assert (calendars[1]["bookable_from"], calendars[1]["bookable_until"]) == ("2027-03-01", "2027-05-31")
    [plan] = plans
    assert (plan["name"], plan["kind"], plan["sessions"], plan["access_window"], plan["access_grants"]) == (
        "Knee programme", "hybrid", 6, {"count": 3, "unit": "month"}, ["telerehab"])
    assert plan["products"] == [{"product_id": shop_window["product"]["id"], "quantity": 1}]


def test_a_documents_file_is_downloaded_as_it_was_uploaded(platform, offer, shop_window):
    path = f"/services/{shop_window['service']['id']}/documents/{shop_window['document']['id']}/content"

    download = public(platform, offer.clinic, path)
    again = public(platform, offer.clinic, path, 304, **{"If-None-Match": download.headers["ETag"]})

    assert (download.data, download.mimetype) == (b"%PDF-1.7\n a preparation guide", "application/pdf")
    assert download.headers["Content-Disposition"] == "attachment; filename=guide.pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert again.data == b""


def test_the_specialists_are_listed_with_their_id_and_name_only(platform, offer, shop_window):
    listed = public(platform, offer.clinic, "/providers").get_json()

    assert listed == {"providers": [{"id": shop_window["ana"]["id"], "name": "Dr. Ana Popescu"},
                                    {"id": shop_window["dan"]["id"], "name": "Dr. Dan Marin"}],
                      "next_cursor": None}


def test_no_public_answer_carries_staff_only_data(platform, offer, shop_window):
    bodies = [public(platform, offer.clinic, route.format(service=shop_window["service"]["id"],
                                                          document=shop_window["document"]["id"])).get_data(as_text=True)
              for route in PUBLIC_ROUTES]

    staff_only = {shop_window["ana"]["email"], shop_window["dan"]["email"], shop_window["ana"]["mobile"],
                  "@", '"version"', '"archived"', '"buffer_before_minutes"', '"required_forms"', '"sha256"'}
    assert {secret for secret in staff_only for body in bodies if secret in body} == set()


@pytest.mark.parametrize("what", ["retired service", "archived document", "unknown service"])
def test_what_the_clinic_does_not_offer_is_not_found(platform, offer, shop_window, problem_of, what):
    service, document = shop_window["service"]["id"], shop_window["document"]["id"]
    archived = offer.platform.call("GET", f"{offer.path}/services/{service}", offer.clinic.admin)["documents"][-1]
    path = {"retired service": f"/services/{shop_window['retired']['id']}",
            "archived document": f"/services/{service}/documents/{archived['id']}/content",
            "unknown service": f"/services/{uuid.uuid4()}/calendars"}[what]
    assert archived["archived"] and archived["id"] != document

    response = public(platform, offer.clinic, path, 404)

    assert problem_of(response)["type"].endswith("/not-found")


@pytest.mark.parametrize("route", PUBLIC_ROUTES)
def test_an_unknown_clinic_is_not_found(platform, problem_of, route):
    path = route.format(service=uuid.uuid4(), document=uuid.uuid4())

    response = platform.client.get(f"/v1/clinics/no-such-clinic{path}")

    assert response.status_code == 404
    assert problem_of(response)["detail"] == "No clinic here."


@pytest.mark.parametrize("route", PUBLIC_ROUTES)
def test_public_routes_answer_anyone_alike_and_show_one_clinic_only(platform, tenants, offer, shop_window, leaked,
                                                                    route):
    """No token, or another clinic's staff or patient: the same answer, with nothing of another tenant."""
    path = f"/v1/clinics/{offer.clinic.slug}" + route.format(service=shop_window["service"]["id"],
                                                             document=shop_window["document"]["id"])
    other_offer = shop_window["other"]

    anonymous = platform.client.get(path)
    answers = [platform.client.get(path, headers=caller.headers)
               for caller in (other_offer.clinic.admin, other_offer.clinic.patient, tenants.mine.receptionist)]

    assert anonymous.status_code == 200
    assert [(a.status_code, a.data) for a in answers] == [(200, anonymous.data)] * 3
    for clinic in (other_offer.clinic, tenants.mine, tenants.other):
        assert leaked(anonymous, clinic, path) == set()
    assert b"The other clinic's service" not in anonymous.data


def test_public_routes_are_rate_limited_per_client_address(platform, offer):
    gateway = platform.another_gateway(rate_limit_public="2/minute", trusted_proxy_count="1")
    client = {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250}"}  # an address of this test alone

    answers = [gateway.get(f"/v1/clinics/{offer.clinic.slug}/services", headers=client) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
