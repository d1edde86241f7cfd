"""The platform's commercial model, for its operators, under /v1/platform/.

- the plan catalog: `GET|POST /plans`, `GET|PUT /plans/<plan_key>` (a PUT publishes the next
  version; subscriptions keep the terms they bought), `POST /plans/<plan_key>/withdraw`;
- clinical capabilities' regulatory clearance: `GET /capabilities`,
  `PUT /capabilities/<capability>/clearance` (`{"cleared": bool}`);
- what a clinic holds, under /clinics/<clinic_slug>/: its `subscription` (`POST` subscribes it to
  a base plan), `subscription/items` (add an add-on or usage pack), `subscription/items/<id>/cancel`
  and `/migrate` (to the plan's newest version, or `{"plan_version": n}`), `overrides` (sales
  grants with a reason, who granted them and an optional expiry) and `overrides/<id>/revoke`,
  its effective `entitlements` (`?at=`), its `bill` (`?period=YYYY-MM`), its `capabilities`
  (`?at=`; each says which of plan, clearance or pause keeps it off) and a capability's `pause`
  (`POST` with a reason and `expected_until`, `DELETE` to resume).

The routes mirror entitlements' internal API one to one: the gateway checks who calls, then
relays the request and entitlements' answer unchanged (status, body, `ETag` to send back in
`If-Match`, `Location` rewritten to the gateway's path, `Idempotent-Replayed`, and problems with
their type and per-field errors). A creating `POST` honours `Idempotency-Key`, made the caller's
own before it reaches entitlements. The acting operator goes along in `X-Actor-Id`.

Who may call: operators only. The path decides the permission: the platform-wide catalog and
clearances declare `platform.plans.manage`; everything under /clinics/<clinic_slug>/ declares
`platform.clinics.manage`, as reading the clinic itself does. The slug is resolved after the
decision (an unknown clinic is 404).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState

from clinic_runtime.problems import not_found
from clinic_runtime.web import json_body
from gateway.adapters.commercial import CommercialModel, EntitlementsCommercial, segment
from gateway.adapters.upstream import JsonService, Reply
from gateway.entrypoints.access import Access, requires
from gateway.entrypoints.admin import JsonObject, forwarded_idempotency_key, query, relay

commercial_platform = Blueprint("commercial_platform", __name__, url_prefix="/v1/platform")

# URL parameters that become one path segment at entitlements.
NAMED_SEGMENTS = ("plan_key", "capability", "tier_key")


def install_commercial(state: BlueprintSetupState) -> None:
    """The commercial client of the app's web process (the platform, staff and patient routes share it)."""
    settings = state.app.config["settings"]
    state.app.extensions.setdefault("commercial", EntitlementsCommercial(
        JsonService("entitlements", settings.entitlements_url, settings.upstream_timeout_seconds)))


def refuse_dot_segments(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """"." and ".." name no plan, tier or capability, and entitlements could read them as a step
    up its path."""
    if values and any(values.get(name) in (".", "..") for name in NAMED_SEGMENTS):
        raise not_found("such entry")


commercial_platform.record_once(install_commercial)
commercial_platform.url_value_preprocessor(refuse_dot_segments)


def commercial() -> CommercialModel:
    return current_app.extensions["commercial"]


# -- the plan catalog -------------------------------------------------------------------------


@commercial_platform.get("/plans")
@requires("platform.plans.manage")
def list_plans(access: Access):
    return platform_read("/plans")


@commercial_platform.post("/plans")
@requires("platform.plans.manage")
def publish_plan(access: Access):
    return platform_create(access, "/plans")


@commercial_platform.get("/plans/<plan_key>")
@requires("platform.plans.manage")
def read_plan(access: Access, plan_key: str):
    return platform_read(f"/plans/{segment(plan_key)}")


@commercial_platform.put("/plans/<plan_key>")
@requires("platform.plans.manage")
def revise_plan(access: Access, plan_key: str):
    """The next version of the plan; If-Match takes the plan's ETag."""
    return relay_platform(commercial().change(f"/plans/{segment(plan_key)}", json_body(JsonObject).root,
                                              access.principal.account_id, request.headers.get("If-Match")))


@commercial_platform.post("/plans/<plan_key>/withdraw")
@requires("platform.plans.manage")
def withdraw_plan(access: Access, plan_key: str):
    """Sold to no one from now on; clinics that hold it keep it."""
    return platform_act(access, f"/plans/{segment(plan_key)}/withdraw")


# -- capability clearances --------------------------------------------------------------------


@commercial_platform.get("/capabilities")
@requires("platform.plans.manage")
def list_clearances(access: Access):
    return platform_read("/capabilities")


@commercial_platform.put("/capabilities/<capability>/clearance")
@requires("platform.plans.manage")
def set_clearance(access: Access, capability: str):
    return relay_platform(commercial().change(f"/capabilities/{segment(capability)}/clearance",
                                              json_body(JsonObject).root, access.principal.account_id, None))


# -- a clinic's subscription ------------------------------------------------------------------


@commercial_platform.post("/clinics/<clinic_slug>/subscription")
@requires("platform.clinics.manage")
def subscribe(access: Access):
    """`{"plan_key": ...}`: a base plan, at its current terms."""
    return clinic_create(access, "/subscription")


@commercial_platform.get("/clinics/<clinic_slug>/subscription")
@requires("platform.clinics.manage")
def read_subscription(access: Access):
    return clinic_read(access, "/subscription")


@commercial_platform.post("/clinics/<clinic_slug>/subscription/items")
@requires("platform.clinics.manage")
def add_item(access: Access):
    """`{"plan_key": ..., "quantity": n}`: an add-on or usage pack beside the base plan."""
    return clinic_create(access, "/subscription/items")


@commercial_platform.post("/clinics/<clinic_slug>/subscription/items/<uuid:item_id>/cancel")
@requires("platform.clinics.manage")
def cancel_item(access: Access, item_id: uuid.UUID):
    """If-Match takes the subscription's ETag. What the item unlocked stops; no data is deleted."""
    return clinic_act(access, f"/subscription/items/{item_id}/cancel")


@commercial_platform.post("/clinics/<clinic_slug>/subscription/items/<uuid:item_id>/migrate")
@requires("platform.clinics.manage")
def migrate_item(access: Access, item_id: uuid.UUID):
    """`{}` for the plan's newest version or `{"plan_version": n}`; If-Match takes the
    subscription's ETag. The only way a clinic leaves the terms it bought."""
    return clinic_act(access, f"/subscription/items/{item_id}/migrate", json_body(JsonObject).root)


# -- sales overrides --------------------------------------------------------------------------


@commercial_platform.get("/clinics/<clinic_slug>/overrides")
@requires("platform.clinics.manage")
def list_overrides(access: Access):
    return clinic_read(access, "/overrides")


@commercial_platform.post("/clinics/<clinic_slug>/overrides")
@requires("platform.clinics.manage")
def grant_override(access: Access):
    """`{"features", "limits", "reason", "expires_at"}`; the operator is recorded as granting it."""
    return clinic_create(access, "/overrides")


@commercial_platform.post("/clinics/<clinic_slug>/overrides/<uuid:override_id>/revoke")
@requires("platform.clinics.manage")
def revoke_override(access: Access, override_id: uuid.UUID):
    return clinic_act(access, f"/overrides/{override_id}/revoke")


# -- reads built on them ----------------------------------------------------------------------


@commercial_platform.get("/clinics/<clinic_slug>/entitlements")
@requires("platform.clinics.manage")
def read_entitlements(access: Access):
    """Features (the union) and limits (the sum) with the overrides in force; `?at=` an instant."""
    return clinic_read(access, "/entitlements", "at")


@commercial_platform.get("/clinics/<clinic_slug>/bill")
@requires("platform.clinics.manage")
def read_bill(access: Access):
    """Base plan, add-ons and packs of a month (`?period=YYYY-MM`, this month by default)."""
    return clinic_read(access, "/bill", "period")


# -- a clinic's capabilities ------------------------------------------------------------------


@commercial_platform.get("/clinics/<clinic_slug>/capabilities")
@requires("platform.clinics.manage")
def read_capabilities(access: Access):
    return clinic_read(access, "/capabilities", "at")


@commercial_platform.get("/clinics/<clinic_slug>/capabilities/<capability>")
@requires("platform.clinics.manage")
def read_capability(access: Access, capability: str):
    return clinic_read(access, f"/capabilities/{segment(capability)}", "at")


@commercial_platform.post("/clinics/<clinic_slug>/capabilities/<capability>/pause")
@requires("platform.clinics.manage")
def pause_capability(access: Access, capability: str):
    """`{"reason", "expected_until"}`: off for this clinic only; its billing is untouched."""
    return clinic_create(access, f"/capabilities/{segment(capability)}/pause")


@commercial_platform.delete("/clinics/<clinic_slug>/capabilities/<capability>/pause")
@requires("platform.clinics.manage")
def resume_capability(access: Access, capability: str):
    return relay_clinic(access, commercial().remove(clinic_entry(access, f"/capabilities/{segment(capability)}/pause"),
                                                    access.principal.account_id))


# -- relaying ---------------------------------------------------------------------------------


def platform_read(entry: str, *parameters: str):
    return relay_platform(commercial().read(entry, query(*parameters)))


def platform_create(access: Access, entry: str):
    return relay_platform(commercial().create(entry, json_body(JsonObject).root, access.principal.account_id,
                                              forwarded_idempotency_key(access)))


def platform_act(access: Access, entry: str):
    return relay_platform(commercial().act(entry, None, access.principal.account_id, request.headers.get("If-Match")))


def clinic_read(access: Access, entry: str, *parameters: str):
    return relay_clinic(access, commercial().read(clinic_entry(access, entry), query(*parameters)))


def clinic_create(access: Access, entry: str):
    return relay_clinic(access, commercial().create(clinic_entry(access, entry), json_body(JsonObject).root,
                                                    access.principal.account_id, forwarded_idempotency_key(access)))


def clinic_act(access: Access, entry: str, body: object | None = None):
    return relay_clinic(access, commercial().act(clinic_entry(access, entry), body, access.principal.account_id,
                                                 request.headers.get("If-Match")))


def clinic_entry(access: Access, entry: str) -> str:
    return f"/clinics/{access.clinic_id}{entry}"


def relay_platform(reply: Reply):
    return relay(reply, "/", "/v1/platform/")


def relay_clinic(access: Access, reply: Reply):
    return relay(reply, f"/clinics/{access.clinic_id}/", f"/v1/platform/clinics/{access.clinic.slug}/")
