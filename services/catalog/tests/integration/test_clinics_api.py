"""Catalog's clinic API over HTTP, on PostgreSQL and SQLite."""

from __future__ import annotations

import hashlib
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from clinic_contracts import Envelope, schema_uri
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_contracts.export import schema_path
from clinic_runtime.messaging.tables import idempotency_keys

pytestmark = pytest.mark.integration

UPSERTED = "catalog.clinic.upserted.v1"
PROBLEMS = "https://problems.clinic-platform.dev/"


def committed_schema_violations(instance: dict) -> list[str]:
    schema = json.loads(schema_path(UPSERTED).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(instance)]


def field_errors(body: dict) -> set[str]:
    return {error["field"] for error in body["errors"]}


# -- registering ------------------------------------------------------------------------------


def test_registering_answers_201_with_the_clinic_its_location_and_etag(client, clinic_body):
    response = client.post("/clinics", json=clinic_body())

    assert response.status_code == 201
    clinic = response.get_json()
    assert uuid.UUID(clinic["id"]).version == 7
    assert {k: v for k, v in clinic.items() if k not in ("id", "updated_at")} == {
        "slug": "dental-care-cluj", "name": "Dental Care Cluj", "timezone": "Europe/Bucharest",
        "currency": "RON", "locale": "ro-RO", "version": 1, "archived": False,
        "cancellation_window_hours": 24, "refund_policy": {"kind": "full", "percent": None, "text": ""},
        "locations": [],
    }
    assert response.headers["Location"] == f"/clinics/{clinic['id']}"
    assert response.headers["ETag"] == '"1"'


def test_a_registered_clinic_is_read_back_at_its_location(client, clinic_body):
    created = client.post("/clinics", json=clinic_body())

    read = client.get(created.headers["Location"])

    assert read.status_code == 200
    assert read.get_json() == created.get_json()
    assert read.headers["ETag"] == '"1"'


def test_the_registered_name_is_stored_without_surrounding_blanks(client, clinic_body):
    assert client.post("/clinics", json=clinic_body(name="  Dental Care  ")).get_json()["name"] == "Dental Care"


def test_registering_leaves_exactly_one_pending_upserted_event_with_the_snapshot_and_correlation_id(
    client, clinic_body, stored
):
    response = client.post("/clinics", json=clinic_body(), headers={"X-Correlation-ID": "booking-flow-42"})
    clinic = response.get_json()

    [row] = stored.outbox()
    assert (row["event_type"], row["state"], row["attempts"]) == (UPSERTED, "pending", 0)
    assert row["clinic_id"] == uuid.UUID(clinic["id"])
    assert committed_schema_violations(json.loads(row["body"])) == []
    envelope = Envelope.model_validate_json(row["body"])
    assert envelope.id == row["event_id"]
    assert (envelope.type, envelope.source, envelope.dataschema) == (UPSERTED, "/services/catalog", schema_uri(UPSERTED))
    assert str(envelope.clinicid) == envelope.subject == clinic["id"]
    assert envelope.correlationid == response.headers["X-Correlation-ID"] == "booking-flow-42"
    assert envelope.payload(ClinicUpsertedV1) == ClinicUpsertedV1.model_validate(
        {**{k: v for k, v in clinic.items() if k != "id"}, "clinic_id": clinic["id"]}
    )


def test_an_unsafe_correlation_id_is_replaced_by_a_fresh_one(client, clinic_body, stored):
    response = client.post("/clinics", json=clinic_body(), headers={"X-Correlation-ID": "jane.doe@example.com"})

    replaced = response.headers["X-Correlation-ID"]
    assert uuid.UUID(replaced)
    assert Envelope.model_validate_json(stored.outbox()[0]["body"]).correlationid == replaced


# -- refused registrations: a problem, and nothing written -------------------------------------

VALIDATION = PROBLEMS + "validation-error"
ALL_FIELDS = {"slug", "name", "timezone", "currency", "locale"}


# (case, what to send, status, problem type, fields named in `errors`). What to send is either
# changes to a valid body, {"omit": field}, {"headers": ...} with a valid body, or the test client's
# own `json`/`data` arguments.
REFUSED = [
    ("bad slug", {"slug": "Dental Care"}, 422, VALIDATION, {"slug"}),
    ("slug with a leading hyphen", {"slug": "-dental"}, 422, VALIDATION, {"slug"}),
    ("slug longer than 63", {"slug": "d" * 64}, 422, VALIDATION, {"slug"}),
    ("blank name", {"name": "   "}, 422, VALIDATION, {"name"}),
    ("name longer than 200", {"name": "n" * 201}, 422, VALIDATION, {"name"}),
    ("unknown timezone", {"timezone": "Mars/Olympus"}, 422, VALIDATION, {"timezone"}),
    ("unknown currency", {"currency": "XYZ"}, 422, VALIDATION, {"currency"}),
    ("currency not three letters", {"currency": "LEU1"}, 422, VALIDATION, {"currency"}),
    ("unknown locale", {"locale": "xx-YY"}, 422, VALIDATION, {"locale"}),
    ("slug not a string", {"slug": 42}, 422, VALIDATION, {"slug"}),
    ("name not a string", {"name": ["Dental"]}, 422, VALIDATION, {"name"}),
    ("timezone null", {"timezone": None}, 422, VALIDATION, {"timezone"}),
    ("currency a number", {"currency": 946}, 422, VALIDATION, {"currency"}),
    ("locale an object", {"locale": {"tag": "ro-RO"}}, 422, VALIDATION, {"locale"}),
    *[(f"missing {f}", {"omit": f}, 422, VALIDATION, {f}) for f in sorted(ALL_FIELDS)],
    ("empty object", {"json": {}}, 422, VALIDATION, ALL_FIELDS),
    ("JSON array instead of an object", {"json": ["dental-care-cluj"]}, 422, VALIDATION, {"body"}),
    ("every broken rule at once", {"slug": "Bad Slug", "timezone": "Nowhere/City", "locale": "xx-YY"},
     422, VALIDATION, {"slug", "timezone", "locale"}),
    ("not JSON", {"data": "slug=dental-care-cluj", "content_type": "text/plain"},
     415, PROBLEMS + "unsupported-media-type", set()),
    ("malformed JSON", {"data": '{"slug": "dental-', "content_type": "application/json"},
     400, PROBLEMS + "malformed-json", set()),
    ("NaN, which JSON does not have", {"data": '{"slug": NaN}', "content_type": "application/json"},
     400, PROBLEMS + "malformed-json", set()),
    ("malformed Idempotency-Key", {"headers": {"Idempotency-Key": "not a key!"}}, 422, VALIDATION,
     {"Idempotency-Key"}),
]


def _request(clinic_body, case: dict, number: int) -> dict:
    request = {"headers": {"Idempotency-Key": f"refused-{number}"}}
    if "headers" in case:
        return {"json": clinic_body(), **case}
    if "omit" in case:
        body = clinic_body()
        del body[case["omit"]]
        return {**request, "json": body}
    if {"json", "data"} & case.keys():
        return {**request, **case}
    return {**request, "json": clinic_body(**case)}


def test_a_refused_registration_answers_a_problem_naming_each_bad_field_and_writes_nothing(
    client, clinic_body, stored, nothing_written, problem_of, subtests
):
    for number, (case, changes, status, kind, fields) in enumerate(REFUSED):
        with subtests.test(case):
            response = client.post("/clinics", **_request(clinic_body, changes, number))

            assert response.status_code == status
            body = problem_of(response)
            assert (body["type"], body["status"], body["instance"]) == (kind, status, "/clinics")
            if fields:
                assert field_errors(body) == fields
                assert all(error["message"] for error in body["errors"])
            else:
                assert "errors" not in body
            assert stored.counts() == nothing_written


def test_a_taken_slug_is_refused_with_409_and_nothing_more_is_written(client, clinic_body, registered, stored,
                                                                      problem_of):
    response = client.post("/clinics", json=clinic_body(name="Another Clinic"))

    assert response.status_code == 409
    body = problem_of(response)
    assert body["type"] == PROBLEMS + "slug-taken"
    assert "dental-care-cluj" in body["detail"]
    assert stored.counts("clinics", "outbox", "idempotency_keys") == {"clinics": 1, "outbox": 1, "idempotency_keys": 0}


# -- Idempotency-Key --------------------------------------------------------------------------


def test_replaying_an_idempotency_key_returns_the_first_response_and_creates_nothing_more(client, clinic_body,
                                                                                         stored):
    headers = {"Idempotency-Key": "register-dental-1"}
    first = client.post("/clinics", json=clinic_body(), headers=headers)

    replay = client.post("/clinics", json=clinic_body(), headers=headers)

    assert first.status_code == replay.status_code == 201
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stored.counts("clinics", "outbox", "idempotency_keys") == {"clinics": 1, "outbox": 1, "idempotency_keys": 1}


def test_a_replay_repeats_the_location_and_etag_of_the_first_response(client, clinic_body):
    headers = {"Idempotency-Key": "register-dental-1"}
    first = client.post("/clinics", json=clinic_body(), headers=headers)

    replay = client.post("/clinics", json=clinic_body(), headers=headers)

    assert (replay.headers.get("Location"), replay.headers.get("ETag")) == (
        first.headers["Location"], first.headers["ETag"]
    )


def test_a_duplicate_that_commits_the_key_first_is_the_answer_and_this_request_writes_nothing(
    postgres_url, catalog_environment, build_app, clinic_body, until_a_request_waits_on_a_lock
):
    """The key is stored last, in the request's own transaction: when another request with the
    same key commits it first, this one's writes are undone and the stored answer is replayed."""
    catalog_environment(postgres_url)
    client = build_app().test_client()
    body = json.dumps(clinic_body())
    theirs = {"scope": " " + hashlib.sha256(b"POST /clinics").hexdigest(), "key": "register-dental-1",
              "request_fingerprint": hashlib.sha256(b"/clinics\n" + body.encode()).hexdigest(),
              "status_code": 201, "response_body": '{"id": "the first request\'s clinic"}', "response_headers": "{}",
              "created_at": datetime.now(UTC)}
    engine = sa.create_engine(postgres_url)
    with engine.connect() as first, ThreadPoolExecutor(1) as pool:
        first.execute(sa.insert(idempotency_keys).values(theirs))  # not committed yet
        answer = pool.submit(client.post, "/clinics", data=body, content_type="application/json",
                             headers={"Idempotency-Key": "register-dental-1"})
        until_a_request_waits_on_a_lock(engine)
        first.commit()
        response = answer.result(timeout=30)

    assert response.status_code == 201
    assert response.get_json() == {"id": "the first request's clinic"}
    assert response.headers["Idempotent-Replayed"] == "true"
    with engine.connect() as connection:
        assert [connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("clinics", "outbox", "idempotency_keys")] == [0, 0, 1]
    engine.dispose()


def test_reusing_an_idempotency_key_for_a_different_body_is_refused_with_422(client, clinic_body, stored,
                                                                              problem_of):
    headers = {"Idempotency-Key": "register-dental-1"}
    client.post("/clinics", json=clinic_body(), headers=headers)

    response = client.post("/clinics", json=clinic_body(slug="physio-cluj"), headers=headers)

    assert response.status_code == 422
    assert problem_of(response)["type"] == PROBLEMS + "idempotency-key-reused"
    assert stored.counts("clinics", "outbox", "idempotency_keys") == {"clinics": 1, "outbox": 1, "idempotency_keys": 1}


def test_a_refused_request_does_not_use_up_its_idempotency_key(client, clinic_body, stored):
    headers = {"Idempotency-Key": "register-dental-1"}
    client.post("/clinics", json=clinic_body(currency="XYZ"), headers=headers)

    corrected = client.post("/clinics", json=clinic_body(), headers=headers)

    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers
    assert stored.counts("clinics", "outbox", "idempotency_keys") == {"clinics": 1, "outbox": 1, "idempotency_keys": 1}


# -- changing: If-Match and versions ----------------------------------------------------------


def test_a_change_without_if_match_is_refused_with_428(client, clinic_body, registered, stored, problem_of):
    response = client.put(f"/clinics/{registered['id']}", json=clinic_body(name="Renamed"))

    assert response.status_code == 428
    assert problem_of(response)["type"] == PROBLEMS + "precondition-required"
    assert client.get(f"/clinics/{registered['id']}").get_json() == registered
    assert stored.count("outbox") == 1


def test_a_change_with_the_current_etag_answers_200_with_the_next_version(client, clinic_body, registered):
    response = client.put(f"/clinics/{registered['id']}", json=clinic_body(name="Renamed", currency="EUR"),
                          headers={"If-Match": '"1"'})

    assert response.status_code == 200
    changed = response.get_json()
    assert (changed["id"], changed["name"], changed["currency"], changed["version"]) == (
        registered["id"], "Renamed", "EUR", 2
    )
    assert response.headers["ETag"] == '"2"'
    assert client.get(f"/clinics/{registered['id']}").get_json() == changed


def test_a_change_records_a_second_upserted_event_with_the_new_snapshot(client, clinic_body, registered, stored):
    changed = client.put(f"/clinics/{registered['id']}", json=clinic_body(name="Renamed"),
                         headers={"If-Match": '"1"', "X-Correlation-ID": "rename-7"}).get_json()

    rows = stored.outbox()
    assert [(row["event_type"], row["state"]) for row in rows] == [(UPSERTED, "pending")] * 2
    envelope = Envelope.model_validate_json(rows[1]["body"])
    event = envelope.payload(ClinicUpsertedV1)
    assert (str(event.clinic_id), event.name, event.version) == (registered["id"], "Renamed", 2)
    assert event.updated_at.isoformat() == changed["updated_at"]
    assert envelope.correlationid == "rename-7"


def test_a_weak_etag_is_accepted_in_if_match(client, clinic_body, registered):
    response = client.put(f"/clinics/{registered['id']}", json=clinic_body(name="Renamed"),
                          headers={"If-Match": 'W/"1"'})

    assert response.status_code == 200


def test_a_stale_if_match_is_refused_with_412_and_nothing_is_written(client, clinic_body, registered, stored,
                                                                     problem_of):
    url = f"/clinics/{registered['id']}"
    first = client.put(url, json=clinic_body(name="First editor"), headers={"If-Match": '"1"'}).get_json()

    response = client.put(url, json=clinic_body(name="Second editor"), headers={"If-Match": '"1"'})

    assert response.status_code == 412
    body = problem_of(response)
    assert body["type"] == PROBLEMS + "stale-version"
    assert "version 2" in body["detail"]
    assert client.get(url).get_json() == first
    assert stored.count("outbox") == 2


def test_an_unchanged_profile_answers_200_without_a_new_version_or_event(client, clinic_body, registered, stored):
    response = client.put(f"/clinics/{registered['id']}", json=clinic_body(), headers={"If-Match": '"1"'})

    assert response.status_code == 200
    assert response.get_json() == registered
    assert response.headers["ETag"] == '"1"'
    assert stored.count("outbox") == 1


def test_an_invalid_change_is_refused_with_per_field_errors_and_nothing_is_written(client, clinic_body, registered,
                                                                                   stored, problem_of):
    response = client.put(f"/clinics/{registered['id']}",
                          json=clinic_body(name=" ", timezone="Mars/Olympus"), headers={"If-Match": '"1"'})

    assert response.status_code == 422
    assert field_errors(problem_of(response)) == {"name", "timezone"}
    assert client.get(f"/clinics/{registered['id']}").get_json() == registered
    assert stored.count("outbox") == 1


def test_taking_another_clinics_slug_is_refused_with_409(client, clinic_body, registered, stored, problem_of):
    other = client.post("/clinics", json=clinic_body(slug="physio-cluj", name="Physio Cluj")).get_json()

    response = client.put(f"/clinics/{other['id']}", json=clinic_body(name="Physio Cluj"),
                          headers={"If-Match": '"1"'})

    assert response.status_code == 409
    assert problem_of(response)["type"] == PROBLEMS + "slug-taken"
    assert client.get(f"/clinics/{other['id']}").get_json() == other
    assert stored.count("outbox") == 2


def test_the_currency_is_refused_with_409_while_an_active_entry_has_a_price_in_it(client, clinic_body, catalog,
                                                                                  stored, problem_of):
    service = catalog.service()
    calendar = catalog.calendar(service, price={"amount_minor": 15000, "currency": "RON"})
    before = stored.counts()

    response = client.put(catalog.url(), json=clinic_body(currency="EUR"), headers={"If-Match": '"1"'})

    assert response.status_code == 409
    assert problem_of(response)["type"] == PROBLEMS + "currency-in-use"
    assert problem_of(response)["used_by"] == {"services": [service["id"]], "calendars": [calendar["id"]]}
    assert client.get(catalog.url()).get_json()["currency"] == "RON"
    assert stored.counts() == before


def test_the_currency_changes_once_no_active_entry_has_a_price(client, clinic_body, catalog):
    service = catalog.service()
    catalog.calendar(service)
    client.post(catalog.url(f"/services/{service['id']}/archive"), headers={"If-Match": '"1"'})

    response = client.put(catalog.url(), json=clinic_body(currency="EUR"), headers={"If-Match": '"1"'})

    assert (response.status_code, response.get_json()["currency"]) == (200, "EUR")


# -- unknown clinics --------------------------------------------------------------------------


def test_reading_an_unknown_clinic_answers_a_404_problem(client, problem_of):
    unknown = uuid.uuid4()

    response = client.get(f"/clinics/{unknown}")

    assert response.status_code == 404
    body = problem_of(response)
    assert (body["type"], body["status"], body["instance"]) == (PROBLEMS + "not-found", 404, f"/clinics/{unknown}")
    assert problem_of(client.get("/clinics/dental-care-cluj"))["status"] == 404  # not even a clinic id


def test_changing_an_unknown_clinic_answers_a_404_problem_and_writes_nothing(client, clinic_body, stored,
                                                                            nothing_written, problem_of):
    response = client.put(f"/clinics/{uuid.uuid4()}", json=clinic_body(), headers={"If-Match": '"1"'})

    assert response.status_code == 404
    assert problem_of(response)["type"] == PROBLEMS + "not-found"
    assert stored.counts() == nothing_written
