"""A clinic's administration: its security policy, accounts, roles and access audit.

Every route is under /v1/admin/clinics/<clinic_slug>/ and declares its permission with
`requires` (see gateway.entrypoints.access). Roles and assignments belong to entitlements: the
gateway relays those requests with the acting account in X-Actor-Id, and relays entitlements'
answers, problems included.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from flask import Blueprint, request
from pydantic import BaseModel, Field, RootModel

from clinic_runtime.problems import FieldError, Problem, conflict, not_found, validation_problem
from clinic_runtime.web import SAFE_ID, db, expected_version, idempotent, json_body, page_limit
from gateway.adapters.clinic_accounts import SqlClinicAccounts
from gateway.adapters.upstream import Reply
from gateway.domain.identity import Account, ClinicSecurityPolicy
from gateway.domain.principal import AccountKind
from gateway.entrypoints.access import Access, access_control, requires
from gateway.entrypoints.authentication import request_uow
from gateway.service_layer import accounts
from gateway.service_layer import clinic_administration as administration

admin = Blueprint("admin", __name__, url_prefix="/v1/admin/clinics/<clinic_slug>")

PAGE = 50
CLINIC_KINDS = (AccountKind.STAFF, AccountKind.PROVIDER, AccountKind.PATIENT)
PAGE_MAX = 200


@admin.url_value_preprocessor
def refuse_dot_segments(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """"." and ".." are no role's key, and a service behind the gateway could read them as a
    step up its path."""
    if values and values.get("role_key") in (".", ".."):
        raise not_found("role")


class SecurityBody(BaseModel):
    mfa_required_for_staff: bool


class NewStaffAccountBody(BaseModel):
    kind: Literal["staff", "provider"]
    email: str = Field(max_length=320)
    display_name: str = Field(max_length=200)
    roles: list[Annotated[str, Field(min_length=1, max_length=63)]] = Field(min_length=1, max_length=20)


class JsonObject(RootModel[dict[str, Any]]):
    """A body the gateway relays as is: the owning service validates it."""


# -- security ---------------------------------------------------------------------------------


@admin.get("/security")
@requires("clinic.settings.manage")
def read_security(access: Access):
    policy = accounts.security_policy(request_uow(), access.clinic_id)
    return _security(policy), 200, {"ETag": f'"{policy.version}"'}


@admin.put("/security")
@requires("clinic.settings.manage")
def change_security(access: Access):
    expected = expected_version()
    body = json_body(SecurityBody)
    try:
        policy = accounts.set_clinic_mfa_requirement(request_uow(), access.clinic_id, body.mfa_required_for_staff,
                                                     access.principal.account_id, expected)
    except accounts.StaleVersion as stale:
        raise Problem(412, "stale-version", "The security settings changed since you read them.",
                      f"They are now at version {stale.current}; read them again and retry.") from None
    return _security(policy), 200, {"ETag": f'"{policy.version}"'}


# -- accounts ---------------------------------------------------------------------------------


@admin.get("/accounts")
@requires("accounts.read")
def list_accounts(access: Access):
    kind, after, limit = _account_page()
    found = SqlClinicAccounts(db()).page(access.clinic_id, kind=kind, after=after, limit=limit,
                                         only=access.principal.account_id if access.only_own else None)
    return {"accounts": [account_representation(a) for a in found],
            "next_after": str(found[-1].id) if len(found) == limit else None}


@admin.post("/accounts")
@requires("accounts.manage")
@idempotent
def open_account(access: Access):
    body = json_body(NewStaffAccountBody)
    try:
        opened = administration.open_staff_account(
            request_uow(), access_control().entitlements, access.clinic_id, AccountKind(body.kind), body.email,
            body.display_name, body.roles, access.principal.account_id)
    except administration.UnknownRoles as unknown:
        raise validation_problem([FieldError("roles", f"the clinic has no assignable role {key!r}")
                                  for key in unknown.keys]) from None
    except accounts.InvalidAccount as invalid:
        raise invalid_account(invalid) from None
    except accounts.EmailTaken:
        raise email_taken() from None
    location = f"/v1/admin/clinics/{access.clinic.slug}/accounts/{opened.account.id}"
    return {**account_representation(opened.account), "roles": opened.roles}, 201, {"Location": location}


@admin.get("/accounts/<uuid:account_id>")
@requires("accounts.read", owner="account_id")
def read_account(access: Access, account_id: uuid.UUID):
    return account_representation(_account_of(access, account_id))


@admin.post("/accounts/<uuid:account_id>/mfa/reset")
@requires("accounts.manage")
def reset_mfa(access: Access, account_id: uuid.UUID):
    try:
        was_enabled = accounts.reset_mfa(request_uow(), account_id, access.clinic_id, access.principal.account_id)
    except accounts.UnknownAccount:
        raise not_found("account") from None
    return {"account_id": str(account_id), "mfa_enabled": False, "was_enabled": was_enabled}


@admin.get("/accounts/<uuid:account_id>/roles")
@requires("roles.manage")
def roles_of_account(access: Access, account_id: uuid.UUID):
    _account_of(access, account_id)
    return {"account_id": str(account_id),
            "roles": access_control().entitlements.roles_of(access.clinic_id, account_id)}


@admin.put("/accounts/<uuid:account_id>/roles/<role_key>")
@requires("roles.manage")
def grant_role(access: Access, account_id: uuid.UUID, role_key: str):
    _account_of(access, account_id)
    entitlements = access_control().entitlements
    entitlements.grant(access.clinic_id, account_id, role_key, access.principal.account_id)
    return {"account_id": str(account_id), "roles": entitlements.roles_of(access.clinic_id, account_id)}


@admin.delete("/accounts/<uuid:account_id>/roles/<role_key>")
@requires("roles.manage")
def revoke_role(access: Access, account_id: uuid.UUID, role_key: str):
    _account_of(access, account_id)
    access_control().entitlements.revoke(access.clinic_id, account_id, role_key, access.principal.account_id)
    return "", 204


# -- roles ------------------------------------------------------------------------------------


@admin.get("/roles")
@requires("roles.manage")
def list_roles(access: Access):
    return _relay(access_control().entitlements.roles(access.clinic_id))


@admin.post("/roles")
@requires("roles.manage")
def create_role(access: Access):
    body = json_body(JsonObject).root
    reply = access_control().entitlements.create_role(access.clinic_id, body, access.principal.account_id,
                                                      forwarded_idempotency_key(access))
    key = reply.body["key"]
    return _relay(reply, Location=f"/v1/admin/clinics/{access.clinic.slug}/roles/{key}")


@admin.put("/roles/<role_key>")
@requires("roles.manage")
def change_role(access: Access, role_key: str):
    body = json_body(JsonObject).root
    return _relay(access_control().entitlements.change_role(access.clinic_id, role_key, body,
                                                            access.principal.account_id, request.headers.get("If-Match")))


@admin.post("/roles/<role_key>/archive")
@requires("roles.manage")
def archive_role(access: Access, role_key: str):
    return _relay(access_control().entitlements.archive_role(access.clinic_id, role_key, access.principal.account_id,
                                                             request.headers.get("If-Match")))


# -- access audit -----------------------------------------------------------------------------


@admin.get("/access-audit")
@requires("audit.read")
def read_access_audit(access: Access):
    limit, before = _audit_page()
    lines = administration.access_audit(request_uow(), access_control().entitlements, access.clinic_id, limit, before)
    return {
        "entries": [{"id": line.id, "at": line.at.isoformat(), "source": line.source,
                     "actor_id": None if line.actor_id is None else str(line.actor_id), "action": line.action,
                     "subject": line.subject, "before": line.before, "after": line.after,
                     "client_address": line.client_address} for line in lines],
        "next_before": lines[-1].at.isoformat() if len(lines) == limit else None,
    }


# -- request parts, shared with the platform and public routes --------------------------------


def forwarded_idempotency_key(access: Access) -> str | None:
    """The client's Idempotency-Key, made the caller's own before it goes to a service: a key
    another account (of any clinic) chose never collides with it there."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not SAFE_ID.match(key):
        raise validation_problem([FieldError("Idempotency-Key", "use 1-100 letters, digits or . _ : -")])
    return hashlib.sha256(f"{access.principal.account_id}\n{key}".encode()).hexdigest()


def query(*parameters: str) -> dict[str, str]:
    """The named query parameters the client sent, for the owning service to validate; nothing
    else goes."""
    return {name: request.args[name] for name in parameters if name in request.args}


def relay(reply: Reply, upstream_base: str, gateway_base: str) -> tuple[Any, int, dict[str, str]]:
    """A service's answer as the gateway's: its `ETag` and `Idempotent-Replayed`, and its
    `Location` (below `upstream_base`) rewritten to the gateway's path below `gateway_base`."""
    headers = {name: reply.headers[name] for name in ("ETag", "Idempotent-Replayed") if name in reply.headers}
    location = reply.headers.get("Location", "")
    if location.startswith(upstream_base):
        headers["Location"] = gateway_base + location.removeprefix(upstream_base)
    return ("" if reply.body is None else reply.body), reply.status, headers


def relay_staff(access: Access, reply: Reply) -> tuple[Any, int, dict[str, str]]:
    """A service's answer about the clinic (below its `/clinics/<clinic_id>/`), its `Location`
    rewritten below the clinic's admin path."""
    return relay(reply, f"/clinics/{access.clinic_id}/", f"/v1/admin/clinics/{access.clinic.slug}/")


def account_representation(account: Account) -> dict[str, Any]:
    return {"id": str(account.id), "kind": account.kind, "clinic_id": str(account.clinic_id),
            "email": account.email, "display_name": account.display_name, "status": account.status,
            "mfa_enabled": account.mfa_enabled, "created_at": account.created_at.isoformat()}


def invalid_account(invalid: accounts.InvalidAccount) -> Problem:
    return validation_problem([FieldError(p.field, p.message) for p in invalid.problems])


def email_taken() -> Problem:
    return conflict("email-taken", "Another account has this email address; each account needs its own.")


def _relay(reply: Reply, **headers: str) -> tuple[Any, int, dict[str, str]]:
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.headers.get("Idempotent-Replayed"):
        headers["Idempotent-Replayed"] = reply.headers["Idempotent-Replayed"]
    return reply.body, reply.status, headers


def _account_of(access: Access, account_id: uuid.UUID) -> Account:
    account = accounts.get_account(request_uow(), access.clinic_id, account_id)
    if account is None:
        raise not_found("account")
    return account


def _security(policy: ClinicSecurityPolicy) -> dict[str, Any]:
    return {"mfa_required_for_staff": policy.mfa_required_for_staff, "version": policy.version,
            "updated_at": None if policy.updated_at is None else policy.updated_at.isoformat()}


def _account_page() -> tuple[AccountKind | None, uuid.UUID | None, int]:
    errors: list[FieldError] = []
    kind = after = None
    if "kind" in request.args:
        if request.args["kind"] in CLINIC_KINDS:
            kind = AccountKind(request.args["kind"])
        else:
            errors.append(FieldError("kind", "use staff, provider or patient"))
    if "after" in request.args:
        try:
            after = uuid.UUID(request.args["after"])
        except ValueError:
            errors.append(FieldError("after", "use the next_after of the previous page"))
    limit = page_limit(errors, default=PAGE, most=PAGE_MAX)
    if errors:
        raise validation_problem(errors)
    return kind, after, limit


def _audit_page() -> tuple[int, datetime | None]:
    errors: list[FieldError] = []
    before = None
    if "before" in request.args:
        try:
            before = datetime.fromisoformat(request.args["before"])
        except ValueError:
            before = None
        if before is None or before.tzinfo is None:
            errors.append(FieldError("before", "use an RFC 3339 instant with its offset, e.g. 2026-11-22T10:00:00Z"))
    limit = page_limit(errors, default=PAGE, most=PAGE_MAX)
    if errors:
        raise validation_problem(errors)
    return limit, before


