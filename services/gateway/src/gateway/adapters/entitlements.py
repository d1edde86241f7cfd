"""Entitlements' internal API, as the gateway uses it: decisions, roles, assignments, audit, and
limit admissions (asked before something the clinic's plan caps is created elsewhere).

Decisions come back typed; the role routes the gateway only relays (entitlements validates
them) come back as the `Reply` entitlements gave. Writes name the acting account in
`X-Actor-Id`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from gateway.adapters.upstream import JsonService, Reply, ServiceUnavailable
from gateway.domain.access import Decision, Scope
from gateway.domain.principal import Principal


@dataclass(frozen=True)
class Resource:
    type: str
    id: str | None
    owner_id: uuid.UUID | None


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    subject: str
    before: object
    after: object


class Entitlements(Protocol):
    def decide(self, principal: Principal, action: str, clinic_id: uuid.UUID | None,
               resource: Resource | None) -> Decision: ...
    def roles(self, clinic_id: uuid.UUID) -> Reply: ...
    def create_role(self, clinic_id: uuid.UUID, role: object, actor_id: uuid.UUID,
                    idempotency_key: str | None) -> Reply: ...
    def change_role(self, clinic_id: uuid.UUID, role_key: str, change: object, actor_id: uuid.UUID,
                    if_match: str | None) -> Reply: ...
    def archive_role(self, clinic_id: uuid.UUID, role_key: str, actor_id: uuid.UUID, if_match: str | None) -> Reply: ...
    def roles_of(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> list[str]: ...
    def grant(self, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str, actor_id: uuid.UUID | None) -> None: ...
    def revoke(self, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str, actor_id: uuid.UUID) -> None: ...
    def audit(self, clinic_id: uuid.UUID, limit: int, before: datetime | None) -> list[AuditEntry]: ...
    def admit(self, clinic_id: uuid.UUID, limit: str, count: int = 1) -> Reply:
        """Room for `count` more of `limit` (patients, specialists, staff_users, locations) under
        the clinic's plan; `Refused` with entitlements' 409 `limit-reached` problem when none."""


class EntitlementsClient:
    def __init__(self, service: JsonService) -> None:
        self._service = service

    def decide(self, principal: Principal, action: str, clinic_id: uuid.UUID | None,
               resource: Resource | None) -> Decision:
        body = {
            "principal": {"id": str(principal.account_id), "kind": principal.kind.value,
                          "clinic_id": _text(principal.clinic_id)},
            "action": action,
            "clinic_id": _text(clinic_id),
            "resource": None if resource is None else {
                "type": resource.type, "id": resource.id, "owner_id": _text(resource.owner_id)},
        }
        answer = self._service.call("POST", "/decisions", json=body).body
        try:
            return Decision(bool(answer["allowed"]), Scope(answer["scope"]) if answer["scope"] else None,
                            str(answer["reason_code"]), str(answer["reason"]))
        except (KeyError, TypeError, ValueError):
            # An answer we cannot read is no permission: fail closed.
            raise ServiceUnavailable(self._service.name, "decision not understood") from None

    def roles(self, clinic_id: uuid.UUID) -> Reply:
        return self._service.call("GET", f"/clinics/{clinic_id}/roles")

    def create_role(self, clinic_id: uuid.UUID, role: object, actor_id: uuid.UUID,
                    idempotency_key: str | None) -> Reply:
        return self._service.call("POST", f"/clinics/{clinic_id}/roles", json=role,
                                  headers={"X-Actor-Id": str(actor_id), "Idempotency-Key": idempotency_key})

    def change_role(self, clinic_id: uuid.UUID, role_key: str, change: object, actor_id: uuid.UUID,
                    if_match: str | None) -> Reply:
        return self._service.call("PUT", f"/clinics/{clinic_id}/roles/{_segment(role_key)}", json=change,
                                  headers={"X-Actor-Id": str(actor_id), "If-Match": if_match})

    def archive_role(self, clinic_id: uuid.UUID, role_key: str, actor_id: uuid.UUID, if_match: str | None) -> Reply:
        return self._service.call("POST", f"/clinics/{clinic_id}/roles/{_segment(role_key)}/archive",
                                  headers={"X-Actor-Id": str(actor_id), "If-Match": if_match})

    def roles_of(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> list[str]:
        return list(self._service.call("GET", f"/clinics/{clinic_id}/principals/{principal_id}/roles").body["roles"])

    def grant(self, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str, actor_id: uuid.UUID | None) -> None:
        self._service.call("PUT", f"/clinics/{clinic_id}/principals/{principal_id}/roles/{_segment(role_key)}",
                           headers={"X-Actor-Id": _text(actor_id)})

    def revoke(self, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str, actor_id: uuid.UUID) -> None:
        self._service.call("DELETE", f"/clinics/{clinic_id}/principals/{principal_id}/roles/{_segment(role_key)}",
                           headers={"X-Actor-Id": str(actor_id)})

    def audit(self, clinic_id: uuid.UUID, limit: int, before: datetime | None) -> list[AuditEntry]:
        params: dict[str, object] = {"limit": limit}
        if before is not None:
            params["before"] = before.isoformat()
        entries = self._service.call("GET", f"/clinics/{clinic_id}/audit", params=params).body["entries"]
        return [
            AuditEntry(str(e["id"]), datetime.fromisoformat(e["at"]),
                       uuid.UUID(e["actor_id"]) if e.get("actor_id") else None,
                       str(e["action"]), str(e["subject"]), e.get("before"), e.get("after"))
            for e in entries
        ]


    def admit(self, clinic_id: uuid.UUID, limit: str, count: int = 1) -> Reply:
        return self._service.call("POST", f"/clinics/{clinic_id}/limits/{_segment(limit)}/admissions",
                                  json={"count": count})


def _segment(role_key: str) -> str:
    """A role key as one path segment: no slash, query or fragment in it reaches entitlements
    (the admin routes refuse the dot segments "." and ".." before they get here)."""
    return quote(role_key, safe="")


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
