"""Entitlements's web process: decisions, roles, assignments and the access audit (internal;
the gateway calls it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any

from flask import Blueprint, Flask, current_app, request
from pydantic import BaseModel, Field

from clinic_runtime.db import utcnow
from clinic_runtime.problems import FieldError, Problem, conflict, validation_problem
from clinic_runtime.refusals import answer_refusals
from clinic_runtime.serve import serve_web
from clinic_runtime.web import (
    create_web_app,
    db,
    etag,
    expected_version,
    idempotent,
    json_body,
    page_limit,
    web_engine,
)
from entitlements.adapters.care_access import SqlCareAccess
from entitlements.adapters.role_holdings import SqlRoleHoldings
from entitlements.domain.assignments import Assignment
from entitlements.domain.audit import AuditEntry
from entitlements.domain.decisions import Principal, PrincipalKind, Resource
from entitlements.domain.permissions import PERMISSIONS, as_documents
from entitlements.domain.roles import BUILT_IN_ROLES, Role, RoleArchived, RoleBundle
from entitlements.domain.usage import LimitReached
from entitlements.entrypoints.actors import acting_account as _actor
from entitlements.entrypoints.care import patient_care
from entitlements.entrypoints.commercial import commercial
from entitlements.entrypoints.migrate import MIGRATIONS
from entitlements.entrypoints.usage import limit_reached, usage
from entitlements.service_layer import decisions
from entitlements.service_layer import roles as use_cases
from entitlements.service_layer.unit_of_work import SqlUnitOfWork
from entitlements.service_layer.usage import admit_role_holders, admit_staff_role
from entitlements.service_layer.usage_unit_of_work import SqlUsageUnitOfWork
from entitlements.settings import Settings

AUDIT_PAGE = 50
AUDIT_PAGE_MAX = 200
access = Blueprint("access", __name__)


# -- decisions --------------------------------------------------------------------------------


class PrincipalBody(BaseModel):
    id: uuid.UUID
    kind: PrincipalKind
    clinic_id: uuid.UUID | None = None


class ResourceBody(BaseModel):
    type: str = Field(min_length=1, max_length=100)
    id: str | None = Field(default=None, max_length=200)
    owner_id: uuid.UUID | None = None


class DecisionBody(BaseModel):
    principal: PrincipalBody
    action: str = Field(max_length=200)
    clinic_id: uuid.UUID | None = None
    resource: ResourceBody | None = None


@access.post("/decisions")
def make_decision():
    body = json_body(DecisionBody)
    p = body.principal
    if (p.kind is PrincipalKind.OPERATOR) != (p.clinic_id is None):
        raise validation_problem([FieldError(
            "principal.clinic_id", "operators belong to no clinic (null); every other principal to one"
        )])
    resource = None if body.resource is None else Resource(body.resource.type, body.resource.id,
                                                           body.resource.owner_id)
    decision = decisions.decide(current_app.extensions["role_holdings"], Principal(p.id, p.kind, p.clinic_id),
                                body.action, body.clinic_id, resource, current_app.extensions["care_access"], utcnow())
    return {"allowed": decision.allowed, "scope": decision.scope, "reason_code": decision.reason_code,
            "reason": decision.reason}


@access.get("/permissions")
def list_permissions():
    return {"permissions": [{"name": p.name, "own_scope": p.own_scope, "platform": p.platform}
                            for p in PERMISSIONS]}


# -- roles ------------------------------------------------------------------------------------


class GrantBody(BaseModel):
    permission: str
    scope: str


class RoleChangeBody(BaseModel):
    name: str
    grants: list[GrantBody]

    def requested_grants(self) -> list[tuple[str, str]]:
        return [(g.permission, g.scope) for g in self.grants]


class RoleBody(RoleChangeBody):
    key: str


@access.get("/clinics/<uuid:clinic_id>/roles")
def list_roles(clinic_id: uuid.UUID):
    built_in = [_built_in_representation(role) for role in BUILT_IN_ROLES.values()]
    return {"roles": built_in + [_representation(b) for b in SqlUnitOfWork(db()).roles.list(clinic_id)]}


@access.post("/clinics/<uuid:clinic_id>/roles")
@idempotent
def create_role(clinic_id: uuid.UUID):
    actor = _actor()
    body = json_body(RoleBody)
    with _refusals_as_problems(body.key):
        bundle = use_cases.create_role(SqlUnitOfWork(db()), clinic_id, body.key, body.name,
                                       body.requested_grants(), actor, utcnow())
    return _representation(bundle), 201, {"Location": f"/clinics/{clinic_id}/roles/{bundle.key}",
                                          "ETag": etag(bundle.version)}


@access.put("/clinics/<uuid:clinic_id>/roles/<key>")
def change_role(clinic_id: uuid.UUID, key: str):
    expected = expected_version()
    actor = _actor()
    body = json_body(RoleChangeBody)
    change = use_cases.RoleChange(body.name, body.requested_grants(), expected)
    with _refusals_as_problems(key):
        bundle = use_cases.change_role(SqlUnitOfWork(db()), clinic_id, key, change, actor, utcnow(),
                                       staff_limit=partial(admit_role_holders, SqlUsageUnitOfWork(db())))
    return _representation(bundle), 200, {"ETag": etag(bundle.version)}


@access.post("/clinics/<uuid:clinic_id>/roles/<key>/archive")
def archive_role(clinic_id: uuid.UUID, key: str):
    expected = expected_version()
    actor = _actor()
    with _refusals_as_problems(key):
        bundle = use_cases.archive_role(SqlUnitOfWork(db()), clinic_id, key, expected, actor, utcnow())
    return _representation(bundle), 200, {"ETag": etag(bundle.version)}


# -- assignments ------------------------------------------------------------------------------


@access.get("/clinics/<uuid:clinic_id>/principals/<uuid:principal_id>/roles")
def roles_of_principal(clinic_id: uuid.UUID, principal_id: uuid.UUID):
    return {"roles": [a.role_key for a in SqlUnitOfWork(db()).assignments.held_by(clinic_id, principal_id)]}


@access.put("/clinics/<uuid:clinic_id>/principals/<uuid:principal_id>/roles/<key>")
def grant_role(clinic_id: uuid.UUID, principal_id: uuid.UUID, key: str):
    actor = _actor()
    with _refusals_as_problems(key):
        assignment = use_cases.grant_role(SqlUnitOfWork(db()), clinic_id, principal_id, key, actor, utcnow(),
                                          staff_limit=partial(admit_staff_role, SqlUsageUnitOfWork(db())))
    return _assignment_representation(assignment), 200


@access.delete("/clinics/<uuid:clinic_id>/principals/<uuid:principal_id>/roles/<key>")
def revoke_role(clinic_id: uuid.UUID, principal_id: uuid.UUID, key: str):
    actor = _actor()
    with _refusals_as_problems(key):
        use_cases.revoke_role(SqlUnitOfWork(db()), clinic_id, principal_id, key, actor, utcnow())
    return "", 204


# -- access audit -----------------------------------------------------------------------------


@access.get("/clinics/<uuid:clinic_id>/audit")
def read_audit(clinic_id: uuid.UUID):
    limit, before = _audit_page()
    entries = SqlUnitOfWork(db()).audit.entries(clinic_id, limit, before)
    return {"entries": [_audit_representation(e) for e in entries]}


def _audit_page() -> tuple[int, datetime | None]:
    errors: list[FieldError] = []
    limit = page_limit(errors, default=AUDIT_PAGE, most=AUDIT_PAGE_MAX)
    before = None
    if "before" in request.args:
        try:
            before = datetime.fromisoformat(request.args["before"])
        except ValueError:
            before = None
        if before is None or before.tzinfo is None:
            errors.append(FieldError("before", "use an RFC 3339 instant with its offset, e.g. 2026-11-22T10:00:00Z"))
    if errors:
        raise validation_problem(errors)
    return limit, before


# -- request parts and problems ---------------------------------------------------------------


@contextmanager
def _refusals_as_problems(key: str) -> Iterator[None]:
    """The use cases' own refusals, as the problems this API answers with (the shared ones are
    answered app-wide)."""
    try:
        yield
    except use_cases.BuiltInRole:
        raise conflict("built-in-role", f"{key} is a built-in role; built-in roles cannot be changed or archived.") \
            from None
    except RoleArchived:
        raise conflict("role-archived", f"{key} is archived and can no longer change.") from None
    except use_cases.RoleNotAssignable:
        raise Problem(422, "role-not-assignable", "This role cannot be assigned.",
                      f"{key} is archived; archived roles grant nothing and can no longer be assigned.") from None
    except use_cases.RoleInUse as in_use:
        raise conflict("role-in-use", f"{in_use.holders} principal(s) hold {key}; revoke it from them first.") \
            from None
    except use_cases.RoleHeldByPatients as held:
        raise conflict("role-held-by-patients",
                       f"Patient tiers {', '.join(held.tier_keys)} map to {key}, so every patient on them holds it; "
                       "a patient may hold only the patient role's grants, library and telerehab access. Map those "
                       "tiers to another role first.") from None
    except LimitReached as reached:
        raise limit_reached(reached) from None


# -- representations --------------------------------------------------------------------------


def _built_in_representation(role: Role) -> dict[str, Any]:
    return {"key": role.key, "name": role.name, "grants": as_documents(role.grants), "built_in": True,
            "version": 1, "archived": False}


def _representation(bundle: RoleBundle) -> dict[str, Any]:
    return {"key": bundle.key, "name": bundle.definition.name, "grants": as_documents(bundle.definition.grants),
            "built_in": False, "version": bundle.version, "archived": bundle.archived}


def _assignment_representation(assignment: Assignment) -> dict[str, Any]:
    return {"clinic_id": str(assignment.clinic_id), "principal_id": str(assignment.principal_id),
            "role_key": assignment.role_key,
            "granted_by": str(assignment.granted_by) if assignment.granted_by else None,
            "granted_at": assignment.granted_at.isoformat()}


def _audit_representation(entry: AuditEntry) -> dict[str, Any]:
    return {"id": str(entry.id), "at": entry.at.isoformat(),
            "actor_id": str(entry.actor_id) if entry.actor_id else None, "action": str(entry.action),
            "subject": entry.subject, "before": entry.before, "after": entry.after}


# -- the app ----------------------------------------------------------------------------------


class ServerTiming:
    """WSGI middleware adding `Server-Timing: app;dur=<ms>`: the time from the request entering
    this app to its response headers, everything the service did (routing, hooks, logging)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()

        def timed(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.2f}"))
            return start_response(status, headers, exc_info)

        return self._app(environ, timed)


def create_app() -> Flask:
    settings = Settings()
    engine = web_engine(settings)
    app = create_web_app(settings, engine, [access, commercial, usage, patient_care], migrations=MIGRATIONS)
    answer_refusals(app)
    app.extensions["role_holdings"] = SqlRoleHoldings(engine)
    app.extensions["care_access"] = SqlCareAccess(engine)
    app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
    return app


def main() -> None:
    serve_web(Settings(), "entitlements.entrypoints.web:create_app()")
