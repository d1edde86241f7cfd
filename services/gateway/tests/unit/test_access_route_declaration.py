"""A protected route declares its permission in one line, and the declaration can be read back
from the app: that is how the route matrix finds what every route requires."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask

from clinic_runtime.web import idempotent
from gateway.entrypoints.access import Access, Requirement, requirement_of, requires


def app_with(blueprint: Blueprint) -> Flask:
    app = Flask("declarations")
    app.register_blueprint(blueprint)
    return app


def rule(app: Flask, path: str):
    return next(r for r in app.url_map.iter_rules() if r.rule == path)


def test_a_route_declares_its_permission_and_owner_parameter():
    routes = Blueprint("routes", __name__, url_prefix="/v1/admin/clinics/<clinic_slug>")

    @routes.get("/accounts/<uuid:account_id>")
    @requires("accounts.read", owner="account_id")
    def read_account(access: Access, account_id: uuid.UUID):
        raise AssertionError("not called")

    app = app_with(routes)

    assert requirement_of(app, rule(app, "/v1/admin/clinics/<clinic_slug>/accounts/<uuid:account_id>")) == \
        Requirement("accounts.read", "account_id")


def test_the_declaration_survives_decorators_below_and_above_it():
    routes = Blueprint("routes", __name__)

    def logged(view):
        from functools import wraps

        @wraps(view)
        def wrapper(**values):
            return view(**values)

        return wrapper

    @routes.post("/v1/platform/clinics")
    @logged
    @requires("platform.clinics.manage")
    @idempotent
    def register_clinic(access: Access):
        raise AssertionError("not called")

    app = app_with(routes)

    assert requirement_of(app, rule(app, "/v1/platform/clinics")) == Requirement("platform.clinics.manage")


def test_a_route_without_the_declaration_has_none():
    routes = Blueprint("routes", __name__)

    @routes.get("/v1/me")
    def me():
        raise AssertionError("not called")

    app = app_with(routes)

    assert requirement_of(app, rule(app, "/v1/me")) is None
