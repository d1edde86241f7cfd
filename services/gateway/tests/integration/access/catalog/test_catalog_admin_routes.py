"""A clinic's catalog through the gateway's admin routes: each route relays to catalog and
answers as catalog did (bodies, ETag, Location on the gateway's path, Idempotency-Key replays,
problems with their type and fields). A fresh clinic per test, built as its admin."""

from __future__ import annotations

import io
import uuid

import pytest

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7\n a preparation guide"
MONEY = {"amount_minor": 20000, "currency": "RON"}


def with_etag(response, expect: int = 200) -> tuple[dict, str]:
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.get_json(), response.headers["ETag"]


def send(offer, method: str, path: str, member=None, **keywords):
    member = member or offer.clinic.admin
    headers = {**member.headers, **keywords.pop("headers", {})}
    return offer.platform.client.open(offer.path + path, method=method, headers=headers, **keywords)


# -- the clinic's profile and locations -------------------------------------------------------


def test_an_admin_reads_and_changes_the_clinics_profile_with_its_etag(offer):
    profile, etag = with_etag(send(offer, "GET", "/profile"))
    change = {k: profile[k] for k in ("slug", "name", "timezone", "currency", "locale")}

    changed, new_etag = with_etag(send(offer, "PUT", "/profile", json={**change, "name": "Physio Iasi",
                                                                             "cancellation_window_hours": 48},
                                              headers={"If-Match": etag}))

    assert (profile["id"], profile["slug"]) == (str(offer.clinic.id), offer.clinic.slug)
    assert (changed["name"], changed["cancellation_window_hours"], changed["version"]) == (
        "Physio Iasi", 48, profile["version"] + 1)
    assert new_etag == f'"{changed["version"]}"'
    assert send(offer, "GET", "/profile").get_json() == changed


def test_a_profile_change_without_if_match_or_with_a_stale_one_is_catalogs_428_or_412(offer, problem_of):
    profile, etag = with_etag(send(offer, "GET", "/profile"))
    body = {k: profile[k] for k in ("slug", "name", "timezone", "currency", "locale")}
    assert send(offer, "PUT", "/profile", json={**body, "name": "Physio Iasi"}, headers={"If-Match": etag}).status_code \
        == 200

    unconditional = send(offer, "PUT", "/profile", json=body)
    stale = send(offer, "PUT", "/profile", json=body, headers={"If-Match": etag})

    assert (unconditional.status_code, problem_of(unconditional)["type"].rsplit("/", 1)[1]) == (
        428, "precondition-required")
    assert (stale.status_code, problem_of(stale)["type"].rsplit("/", 1)[1]) == (412, "stale-version")


def test_locations_are_added_read_changed_and_archived_with_the_clinics_etag(offer):
    _, etag = with_etag(send(offer, "GET", "/profile"))
    body = {"name": "Iasi centre", "address": "Strada Lapusneanu 10", "timezone": "Europe/Bucharest"}

    added = send(offer, "POST", "/locations", json=body, headers={"If-Match": etag})
    location, etag = with_etag(added, 201)
    read, _ = with_etag(send(offer, "GET", f"/locations/{location['id']}"))
    changed, etag = with_etag(send(offer, "PUT", f"/locations/{location['id']}",
                                          json={**body, "name": "Iasi old town"}, headers={"If-Match": etag}))
    archived, _ = with_etag(send(offer, "POST", f"/locations/{location['id']}/archive",
                                        headers={"If-Match": etag}))

    assert added.headers["Location"] == f"{offer.path}/locations/{location['id']}"
    assert read == location
    assert (changed["name"], archived["archived"]) == ("Iasi old town", True)
    assert send(offer, "GET", "/profile").get_json()["locations"] == [archived]


# -- specialists ------------------------------------------------------------------------------


def test_specialists_are_added_listed_read_changed_and_archived(offer):
    added = send(offer, "POST", "/providers", json={"name": "Dr. Ana Popescu", "email": "ana@physio.example",
                                                    "timezone": "Europe/Bucharest"})
    ana, etag = with_etag(added, 201)
    read, _ = with_etag(send(offer, "GET", f"/providers/{ana['id']}"))
    changed, etag = with_etag(send(offer, "PUT", f"/providers/{ana['id']}",
                                          json={"name": "Dr. Ana Ionescu", "email": "ana@physio.example",
                                                "mobile": "+40712345678", "timezone": "Europe/Bucharest"},
                                          headers={"If-Match": etag}))
    archived, _ = with_etag(send(offer, "POST", f"/providers/{ana['id']}/archive", headers={"If-Match": etag}))

    assert added.headers["Location"] == f"{offer.path}/providers/{ana['id']}"
    assert (read, etag) == (ana, f'"{changed["version"]}"')
    assert (changed["name"], changed["mobile"], archived["archived"]) == ("Dr. Ana Ionescu", "+40712345678", True)
    assert send(offer, "GET", "/providers").get_json() == {"providers": [], "next_cursor": None}
    assert send(offer, "GET", "/providers?status=archived").get_json()["providers"] == [archived]


def test_lists_come_page_by_page_with_catalogs_cursor(offer):
    specialists = [offer.provider(name) for name in ("Dr. Ana Popescu", "Dr. Dan Marin", "Dr. Ioana Pop")]

    first = send(offer, "GET", "/providers?limit=2").get_json()
    rest = send(offer, "GET", f"/providers?limit=2&cursor={first['next_cursor']}").get_json()

    assert len(first["providers"]) == 2 and first["next_cursor"]
    assert rest["next_cursor"] is None
    assert [p["id"] for p in first["providers"] + rest["providers"]] == [p["id"] for p in specialists]


def test_a_bad_listing_is_catalogs_422_naming_each_parameter(offer, problem_of):
    response = send(offer, "GET", "/services?status=deleted&limit=0&cursor=%21&provider_id=ana")

    assert response.status_code == 422
    assert {e["field"] for e in problem_of(response)["errors"]} == {"status", "limit", "cursor", "provider_id"}


# -- services, their documents and calendars --------------------------------------------------


def test_services_are_added_listed_by_specialist_read_changed_and_archived(offer):
    ana, dan = offer.provider("Dr. Ana Popescu"), offer.provider("Dr. Dan Marin")
    body = {"name": "Physiotherapy session", "duration_minutes": 50, "price": MONEY, "provider_ids": [ana["id"]]}

    added = send(offer, "POST", "/services", json=body)
    service, etag = with_etag(added, 201)
    offer.service(name="Massage", provider_ids=[dan["id"]])
    by_ana = send(offer, "GET", f"/services?provider_id={ana['id']}").get_json()["services"]
    changed, etag = with_etag(send(offer, "PUT", f"/services/{service['id']}",
                                          json={**body, "duration_minutes": 45,
                                                "provider_ids": [ana["id"], dan["id"]]},
                                          headers={"If-Match": etag}))
    archived, _ = with_etag(send(offer, "POST", f"/services/{service['id']}/archive",
                                        headers={"If-Match": etag}))

    assert added.headers["Location"] == f"{offer.path}/services/{service['id']}"
    assert [s["id"] for s in by_ana] == [service["id"]]
    assert send(offer, "GET", f"/services/{service['id']}").get_json() == archived
    assert (changed["duration_minutes"], changed["provider_ids"]) == (45, [ana["id"], dan["id"]])
    assert archived["archived"] is True
    assert [s["name"] for s in send(offer, "GET", "/services").get_json()["services"]] == ["Massage"]


def test_a_document_is_attached_read_downloaded_and_archived_with_the_services_etag(offer):
    service = offer.service()

    attached = offer.upload(service, PDF)
    document, etag = with_etag(attached, 201)
    path = f"/services/{service['id']}/documents/{document['id']}"
    read, _ = with_etag(send(offer, "GET", path))
    download = send(offer, "GET", f"{path}/content")
    again = send(offer, "GET", f"{path}/content", headers={"If-None-Match": download.headers["ETag"]})
    archived, _ = with_etag(send(offer, "POST", f"{path}/archive", headers={"If-Match": etag}))

    assert attached.headers["Location"] == offer.path + path
    assert (document["kind"], document["title"], document["filename"], document["size_bytes"]) == (
        "preparation", "Before your first session", "guide.pdf", len(PDF))
    assert read == document
    assert (download.status_code, download.data, download.mimetype) == (200, PDF, "application/pdf")
    assert download.headers["Content-Disposition"] == "attachment; filename=guide.pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert (again.status_code, again.data) == (304, b"")
    assert archived["archived"] is True
    assert send(offer, "GET", f"{path}/content").data == PDF, "staff still reach an archived document's file"


def test_a_document_may_be_sent_as_the_raw_file_with_its_details_in_the_query(offer):
    service = offer.service()
    etag = offer.etag(f"/services/{service['id']}")

    response = send(offer, "POST", f"/services/{service['id']}/documents?kind=consent&filename=consent.txt&title=Consent",
                    data=b"I agree to the treatment.", content_type="text/plain; charset=utf-8",
                    headers={"If-Match": etag})

    document, _ = with_etag(response, 201)
    assert (document["kind"], document["filename"], document["content_type"]) == ("consent", "consent.txt",
                                                                                  "text/plain")
    download = send(offer, "GET", f"/services/{service['id']}/documents/{document['id']}/content")
    assert download.data == b"I agree to the treatment."


def test_an_upload_with_a_stale_service_etag_is_catalogs_412(offer, problem_of):
    service = offer.service()

    response = offer.upload(service, PDF, **{"If-Match": '"7"'})

    assert response.status_code == 412
    assert problem_of(response)["type"].endswith("/stale-version")


def test_calendars_are_added_listed_read_changed_and_archived(offer):
    service = offer.service()
    promotion = {"name": "Spring offer", "kind": "promotion", "price": {"amount_minor": 15000, "currency": "RON"},
                 "bookable_from": "2027-03-01", "bookable_until": "2027-05-31"}

    standard = offer.calendar(service)
    added = send(offer, "POST", f"/services/{service['id']}/calendars", json=promotion)
    calendar, etag = with_etag(added, 201)
    path = f"/services/{service['id']}/calendars/{calendar['id']}"
    listed = send(offer, "GET", f"/services/{service['id']}/calendars").get_json()["calendars"]
    changed, etag = with_etag(send(offer, "PUT", path, json={**promotion, "bookable_until": "2027-06-30"},
                                          headers={"If-Match": etag}))
    archived, _ = with_etag(send(offer, "POST", f"{path}/archive", headers={"If-Match": etag}))

    assert added.headers["Location"] == offer.path + path
    assert [c["id"] for c in listed] == [standard["id"], calendar["id"]]
    assert (calendar["price"], calendar["timezone"]) == (promotion["price"], "Europe/Bucharest")
    assert send(offer, "GET", path).get_json() == archived
    assert (changed["bookable_until"], archived["archived"]) == ("2027-06-30", True)


# -- plans and products -----------------------------------------------------------------------


def test_products_and_a_hybrid_plan_bundling_one_are_added_listed_changed_and_archived(offer, problem_of):
    service = offer.service()
    band = offer.product()
    added = send(offer, "POST", "/plans", json={
        "name": "Knee programme", "kind": "hybrid", "price": {"amount_minor": 90000, "currency": "RON"},
        "sessions": 6, "access_window": {"count": 3, "unit": "month"}, "service_ids": [service["id"]],
        "access_grants": ["telerehab", "library"], "products": [{"product_id": band["id"], "quantity": 2}]})
    plan, plan_etag = with_etag(added, 201)

    bundling = send(offer, "GET", f"/plans?product_id={band['id']}").get_json()["plans"]
    serving = send(offer, "GET", f"/plans?service_id={service['id']}").get_json()["plans"]
    in_use = send(offer, "POST", f"/products/{band['id']}/archive", headers={"If-Match": f'"{band["version"]}"'})
    product, product_etag = with_etag(send(offer, "GET", f"/products/{band['id']}"))
    changed, _ = with_etag(send(offer, "PUT", f"/products/{band['id']}",
                                       json={"name": "Resistance band", "price": {"amount_minor": 5000,
                                                                                  "currency": "RON"}},
                                       headers={"If-Match": product_etag}))
    archived_plan, _ = with_etag(send(offer, "POST", f"/plans/{plan['id']}/archive",
                                             headers={"If-Match": plan_etag}))

    assert added.headers["Location"] == f"{offer.path}/plans/{plan['id']}"
    assert (plan["kind"], plan["sessions"], plan["products"]) == ("hybrid", 6, [{"product_id": band["id"],
                                                                                  "quantity": 2}])
    assert [p["id"] for p in bundling] == [p["id"] for p in serving] == [plan["id"]]
    assert in_use.status_code == 409
    assert problem_of(in_use)["used_by"] == {"plans": [plan["id"]]}
    assert product == band
    assert changed["price"]["amount_minor"] == 5000
    assert send(offer, "GET", f"/plans/{plan['id']}").get_json() == archived_plan
    archived_product = send(offer, "POST", f"/products/{band['id']}/archive", headers={"If-Match": f'"{changed["version"]}"'})
    assert (archived_product.status_code, archived_product.get_json()["archived"]) == (200, True)
    assert send(offer, "GET", "/products").get_json()["products"] == []


def test_a_plan_is_changed_with_its_etag(offer):
    service = offer.service()
    plan = offer.plan([service])

    response = send(offer, "PUT", f"/plans/{plan['id']}", headers={"If-Match": f'"{plan["version"]}"'}, json={
        "name": "12 sessions", "kind": "session_package", "sessions": 12, "price": MONEY,
        "session_validity": {"count": 6, "unit": "month"}, "service_ids": [service["id"]]})

    changed, etag = with_etag(response)
    assert (changed["sessions"], changed["session_validity"], etag) == (12, {"count": 6, "unit": "month"},
                                                                        f'"{plan["version"] + 1}"')


# -- idempotency and what the gateway checks itself -------------------------------------------


def test_a_repeated_idempotency_key_creates_the_entry_once(offer):
    key = {"Idempotency-Key": f"band-{uuid.uuid4().hex}"}
    body = {"name": "Foam roller", "price": MONEY}

    first = send(offer, "POST", "/products", json=body, headers=key)
    again = send(offer, "POST", "/products", json=body, headers=key)
    other = send(offer, "POST", "/products", json={**body, "name": "Yoga mat"}, headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"] == f"{offer.path}/products/{first.get_json()['id']}"
    assert (other.status_code, other.get_json()["type"].rsplit("/", 1)[1]) == (422, "idempotency-key-reused")
    assert len(send(offer, "GET", "/products").get_json()["products"]) == 1


def test_a_document_upload_honours_idempotency_key(offer):
    service = offer.service()
    headers = {"If-Match": offer.etag(f"/services/{service['id']}"), "Idempotency-Key": f"guide-{uuid.uuid4().hex}"}

    answers = [send(offer, "POST", f"/services/{service['id']}/documents?kind=preparation&filename=guide.pdf",
                    data=PDF, content_type="application/pdf", headers=headers) for _ in range(2)]

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1].get_json() == answers[0].get_json()
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert len(send(offer, "GET", f"/services/{service['id']}").get_json()["documents"]) == 1


def test_a_body_that_is_not_a_json_object_is_refused_before_catalog(offer, problem_of, catalog_rows):
    before = catalog_rows.counts()

    not_json = send(offer, "POST", "/services", data="name=x", content_type="application/x-www-form-urlencoded")
    a_list = send(offer, "POST", "/services", json=[{"name": "x"}])

    assert (not_json.status_code, a_list.status_code) == (415, 422)
    assert catalog_rows.counts() == before


def test_an_upload_of_unknown_length_is_refused_with_411(offer, problem_of, catalog_rows):
    service = offer.service()
    before = catalog_rows.counts()

    response = send(offer, "POST", f"/services/{service['id']}/documents?kind=consent&filename=c.txt",
                    input_stream=io.BytesIO(b"I agree."), content_type="text/plain",
                    headers={"If-Match": offer.etag(f"/services/{service['id']}"), "Transfer-Encoding": "chunked"},
                    environ_overrides={"wsgi.input_terminated": True})

    assert response.status_code == 411
    assert problem_of(response)["type"].endswith("/length-required")
    assert catalog_rows.counts() == before


def test_an_entry_the_clinic_does_not_have_is_catalogs_404(offer, problem_of):
    response = send(offer, "GET", f"/services/{uuid.uuid4()}")

    assert response.status_code == 404
    assert problem_of(response)["detail"] == "No service here."


# -- who may use these routes -----------------------------------------------------------------


@pytest.mark.parametrize(("path", "permission"), [
    ("/services", "catalog.manage"), ("/plans", "catalog.manage"), ("/products", "catalog.manage"),
    ("/providers", "providers.manage"), ("/profile", "clinic.settings.manage"),
])
def test_a_receptionist_reads_the_offer_publicly_not_through_the_admin_routes(offer, problem_of, path, permission):
    response = send(offer, "GET", path, offer.clinic.receptionist)

    assert response.status_code == 403
    assert problem_of(response)["permission"] == permission
