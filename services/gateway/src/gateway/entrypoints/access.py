"""How a route declares who may call it: one line, `@requires(permission, owner=...)`.

    @admin.get("/accounts/<uuid:account_id>")
    @requires("accounts.read", owner="account_id")
    def read_account(access: Access, account_id: uuid.UUID): ...

On a clinic route (one with `<clinic_slug>`), before the view runs:

1. the bearer token names the principal: none, expired, tampered or revoked -> 401;
2. the slug names a clinic in catalog: unknown -> 404;
3. the principal belongs to that clinic: otherwise -> 404, the same answer as an unknown clinic,
   so no route ever confirms another tenant's existence (operators included: they use the
   platform routes);
4. a clinic that requires MFA turns away its staff and providers whose session lacks it -> 403
   `mfa-required` (patients are exempt);
5. entitlements decides the permission, for the resource owned by the account named by the URL
   parameter `owner` when given -> 403 `forbidden` naming the permission and the reason.

A platform permission (`platform.*`) is decided for no clinic (operators only), and a
`<clinic_slug>` on a platform route is resolved after the decision (unknown -> 404).

The view receives `access` (an `Access`) in place of `clinic_slug`; every other URL parameter is
passed as Flask passes it. With `access.only_own`, the principal holds the permission for its
own resources only, and the view must return nothing else.

Entitlements' decisions are remembered by each web process for ACCESS_DECISION_CACHE_SECONDS,
and forgotten as soon as the clinic's access generation moves (the worker advances it on every
role or assignment event). When entitlements cannot answer, the request fails closed with 503.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app
from werkzeug.routing import Rule

from clinic_runtime import context
from clinic_runtime.problems import TYPE_BASE, FieldError, Problem, not_found
from clinic_runtime.web import db, problem_response
from gateway.adapters.access_tables import SqlAccessGenerations
from gateway.adapters.catalog import CatalogClinics, ClinicDirectory, ClinicListing
from gateway.adapters.entitlements import Entitlements, EntitlementsClient, Resource
from gateway.adapters.upstream import JsonService, Refused, ServiceUnavailable
from gateway.domain.access import Decision, DecisionCache, Scope, Verdict, clinic_route_verdict, is_platform_permission
from gateway.domain.principal import Principal
from gateway.entrypoints.authentication import current_principal, request_uow
from gateway.service_layer import access as access_use_cases
from gateway.service_layer.mfa import mfa_required_for
from gateway.settings import Settings

CLINIC_SLUG = "clinic_slug"


@dataclass(frozen=True)
class Requirement:
    """What a protected route declared: kept on the view function for the route matrix."""

    permission: str
    owner: str | None = None


@dataclass(frozen=True)
class Access:
    """What a protected view acts with."""

    principal: Principal
    permission: str
    scope: Scope
    clinic: ClinicListing | None  # None only on platform routes that name no clinic

    @property
    def clinic_id(self) -> uuid.UUID:
        if self.clinic is None:
            raise LookupError("this route names no clinic")
        return self.clinic.id

    @property
    def only_own(self) -> bool:
        """Granted for the principal's own resources only: return nothing of anyone else's."""
        return self.scope is Scope.OWN


@dataclass
class AccessControl:
    """The web process's collaborators for access: built once, shared by its threads."""

    clinics: ClinicDirectory
    entitlements: Entitlements
    decisions: DecisionCache
    clock: Callable[[], float] = time.monotonic


def install_access(app: Flask, settings: Settings) -> None:
    """Give `app` its access control and the answers for services that fail or refuse."""
    timeout = settings.upstream_timeout_seconds
    app.extensions["access"] = AccessControl(
        clinics=CatalogClinics(JsonService("catalog", settings.catalog_url, timeout),
                               settings.clinic_directory_cache_seconds),
        entitlements=EntitlementsClient(JsonService("entitlements", settings.entitlements_url, timeout)),
        decisions=DecisionCache(settings.access_decision_cache_seconds),
    )
    app.register_error_handler(ServiceUnavailable, lambda error: problem_response(unavailable(error)))
    app.register_error_handler(Refused, lambda refused: problem_response(relayed(refused)))


def access_control() -> AccessControl:
    return current_app.extensions["access"]


def requires(permission: str, owner: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Protect a route: see the module's description for what happens before the view runs."""
    requirement = Requirement(permission, owner)

    def protect(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def protected(**values: Any) -> Any:
            return view(access=_authorize(requirement, values), **values)

        protected.requirement = requirement  # type: ignore[attr-defined]
        return protected

    return protect


def requirement_of(app: Flask, rule: Rule) -> Requirement | None:
    """The permission a route declared with `requires`, or None for an unprotected route."""
    return getattr(app.view_functions[rule.endpoint], "requirement", None)


def _authorize(requirement: Requirement, values: dict[str, Any]) -> Access:
    """Check everything `requires` promises; removes `clinic_slug` from `values`."""
    # Authentication first: a caller without a valid token learns nothing, not even whether
    # the clinic exists, and costs no call to catalog.
    principal = current_principal()
    control = access_control()
    slug = values.pop(CLINIC_SLUG, None)
    if is_platform_permission(requirement.permission):
        decision = _decide(control, principal, requirement.permission, None, None)
        return Access(principal, requirement.permission, _granted(requirement.permission, decision),
                      None if slug is None else _clinic(control, slug))
    if slug is None:
        raise LookupError(f"a clinic permission ({requirement.permission}) protects a route without <clinic_slug>")
    clinic = _clinic(control, slug)
    verdict = clinic_route_verdict(principal, clinic.id, lambda: mfa_required_for(request_uow(), clinic.id))
    if verdict is Verdict.NOT_FOUND:
        raise not_found("clinic")
    if verdict is Verdict.MFA_REQUIRED:
        raise Problem(403, "mfa-required", "This clinic requires a second factor.",
                      "Sign in again with your authenticator code to use this route.")
    context.bind_log_fields(clinic_id=str(clinic.id))
    owner_id = _owner(requirement, values)
    resource = None if owner_id is None else Resource(requirement.permission.split(".")[0], str(owner_id), owner_id)
    decision = _decide(control, principal, requirement.permission, clinic.id, resource)
    return Access(principal, requirement.permission, _granted(requirement.permission, decision), clinic)


def _decide(control: AccessControl, principal: Principal, action: str, clinic_id: uuid.UUID | None,
            resource: Resource | None) -> Decision:
    return access_use_cases.decide(principal, action, clinic_id, resource, entitlements=control.entitlements,
                                   cache=control.decisions, generations=SqlAccessGenerations(db()),
                                   now=control.clock())


def _granted(permission: str, decision: Decision) -> Scope:
    if not decision.allowed or decision.scope is None:
        raise Problem(403, "forbidden", "You may not do this.", f"This needs the permission {permission}: "
                      f"{decision.reason}", extensions={"permission": permission, "reason_code": decision.reason_code})
    return decision.scope


def _clinic(control: AccessControl, slug: str) -> ClinicListing:
    clinic = control.clinics.by_slug(slug)
    if clinic is None:
        raise not_found("clinic")
    return clinic


def _owner(requirement: Requirement, values: dict[str, Any]) -> uuid.UUID | None:
    if requirement.owner is None:
        return None
    value = values[requirement.owner]
    if not isinstance(value, uuid.UUID):
        raise TypeError(f"declare <uuid:{requirement.owner}> in the route: owner= names an account id")
    return value


# -- answers for the services behind the gateway ----------------------------------------------


def unavailable(error: ServiceUnavailable) -> Problem:
    """Fail closed: without an answer from the service, nothing is allowed or changed."""
    return Problem(503, "service-unavailable", "A service behind the gateway is not answering.",
                   f"{error.service} could not be reached; nothing was changed. Try again shortly.")


def relayed(refused: Refused) -> Problem:
    """A service's 4xx problem, answered as the gateway's own (the service knows what was wrong)."""
    body = refused.reply.body if isinstance(refused.reply.body, dict) else {}
    kind = str(body.get("type", "")).removeprefix(TYPE_BASE) or "refused"
    errors = [FieldError(str(e.get("field")), str(e.get("message"))) for e in body.get("errors") or []]
    extensions = {k: v for k, v in body.items() if k not in ("type", "title", "status", "detail", "instance", "errors")}
    return Problem(refused.reply.status, kind, str(body.get("title", "Refused.")), body.get("detail"), errors,
                   extensions)
