"""A request body is JSON that its model accepts; anything else is a 4xx problem, never a 500."""

from __future__ import annotations

import pytest
from flask import Blueprint
from pydantic import BaseModel

from clinic_runtime import web
from clinic_runtime.settings import ServiceSettings


class Booking(BaseModel):
    service_id: str


@pytest.fixture
def client():
    blueprint = Blueprint("bodies", __name__)

    @blueprint.post("/bookings")
    def book():
        return {"service_id": web.json_body(Booking).service_id}, 201

    return web.create_web_app(ServiceSettings(service_name="bodies", http_port=1), None, [blueprint]).test_client()


def post(client, body: str | bytes, content_type: str = "application/json"):
    return client.post("/bookings", data=body, headers={"Content-Type": content_type})


def test_a_body_its_model_accepts_is_read(client):
    assert post(client, '{"service_id": "s-1"}').get_json() == {"service_id": "s-1"}


@pytest.mark.parametrize("body", ['{"service_id": ', "NaN", '{"service_id": Infinity}', b'{"service_id": "\xff"}',
                                  '{"service_id": "s-1", "note": 1e400}', '{"service_id": "s-1", "note": -1e999}'])
def test_a_body_that_is_not_json_is_400(client, body):
    response = post(client, body)

    assert response.status_code == 400 and response.get_json()["type"].endswith("/malformed-json")


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000,
                                  '{"service_id": ' + "[" * 50_000 + "]" * 50_000 + "}"])
def test_a_body_nested_too_deeply_is_400_not_a_crash(client, body):
    response = post(client, body)

    assert response.status_code == 400
    assert response.get_json()["title"] == "The body is nested too deeply."


def test_a_body_of_another_media_type_is_415(client):
    assert post(client, '{"service_id": "s-1"}', "text/plain").status_code == 415


def test_json_of_the_wrong_shape_is_422_naming_the_field(client):
    response = post(client, '{"service_id": 7}')

    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "service_id"


@pytest.mark.parametrize("body, field", [('{"service_id": "s-\\u0000"}', "service_id"),
                                         ('{"service_id": "s-1", "patient": {"name": "A\\u0000"}}', "patient.name"),
                                         ('{"service_id": "s-1", "notes": ["ok", "\\u0000"]}', "notes.1"),
                                         ('{"service_id": "s-1", "\\u0000": 1}', "\\0")])
def test_a_nul_character_anywhere_in_the_body_is_422_naming_where(client, body, field):
    """PostgreSQL stores no NUL in text: without this, the insert fails as a 500."""
    response = post(client, body)

    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
