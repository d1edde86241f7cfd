"""Where roles, assignments and the access audit are kept: interfaces, their SQLAlchemy adapters.

These run inside the request's session (one transaction per request). Adding a role or an
assignment that already exists is answered by the database (`ON CONFLICT DO NOTHING`), not by
a read beforehand, so two concurrent requests cannot both add one; what was added is what the
statement returns (SQLAlchemy keeps a row count only for UPDATE and DELETE).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from entitlements.adapters.orm import access_audit, patient_tiers, role_assignments, roles
from entitlements.domain.assignments import Assignment
from entitlements.domain.audit import AuditAction, AuditEntry
from entitlements.domain.permissions import Grant, Scope, as_documents
from entitlements.domain.roles import RoleBundle, RoleDefinition


class RoleRepository(Protocol):
    def get(self, clinic_id: uuid.UUID, key: str, *, lock: bool = False) -> RoleBundle | None:
        """The clinic's role; with `lock`, held against concurrent writers until the transaction ends."""

    def list(self, clinic_id: uuid.UUID) -> list[RoleBundle]: ...

    def add(self, bundle: RoleBundle) -> bool:
        """Store a new role; False when the clinic already has one with this key."""

    def save(self, bundle: RoleBundle, expected_version: int) -> bool:
        """Store a changed role if it is still at `expected_version`; False otherwise."""

    def tier_keys(self, clinic_id: uuid.UUID, role_key: str) -> list[str]:
        """The clinic's live patient tiers that map to the role."""


class AssignmentRepository(Protocol):
    def held_by(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> list[Assignment]: ...

    def add(self, assignment: Assignment) -> bool:
        """Store an assignment; False when the principal already holds the role."""

    def remove(self, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str) -> bool:
        """Delete an assignment; False when there was none."""

    def holders(self, clinic_id: uuid.UUID, role_key: str) -> int:
        """How many principals of the clinic hold the role."""


class AccessAudit(Protocol):
    def record(self, entry: AuditEntry) -> None: ...

    def entries(self, clinic_id: uuid.UUID, limit: int, before: datetime | None) -> list[AuditEntry]:
        """The clinic's entries older than `before` (all when None), newest first."""


class SqlRoleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, key: str, *, lock: bool = False) -> RoleBundle | None:
        query = select(roles).where(roles.c.clinic_id == clinic_id, roles.c.key == key)
        row = self._session.execute(query.with_for_update() if lock else query).one_or_none()
        return _to_bundle(row) if row else None

    def list(self, clinic_id: uuid.UUID) -> list[RoleBundle]:
        rows = self._session.execute(select(roles).where(roles.c.clinic_id == clinic_id).order_by(roles.c.key))
        return [_to_bundle(row) for row in rows]

    def tier_keys(self, clinic_id: uuid.UUID, role_key: str) -> list[str]:
        return list(self._session.scalars(select(patient_tiers.c.key).where(
            patient_tiers.c.clinic_id == clinic_id, patient_tiers.c.role_key == role_key,
            patient_tiers.c.archived.is_(False)).order_by(patient_tiers.c.key)))

    def add(self, bundle: RoleBundle) -> bool:
        statement = _insert_unless_present(self._session, roles).values(
            clinic_id=bundle.clinic_id, key=bundle.key, **_role_columns(bundle)
        )
        return self._session.execute(statement.returning(roles.c.key)).first() is not None

    def save(self, bundle: RoleBundle, expected_version: int) -> bool:
        result = self._session.execute(
            update(roles)
            .where(roles.c.clinic_id == bundle.clinic_id, roles.c.key == bundle.key,
                   roles.c.version == expected_version)
            .values(**_role_columns(bundle))
        )
        return result.rowcount == 1


class SqlAssignmentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def held_by(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> list[Assignment]:
        rows = self._session.execute(
            select(role_assignments)
            .where(role_assignments.c.clinic_id == clinic_id, role_assignments.c.principal_id == principal_id)
            .order_by(role_assignments.c.role_key)
        )
        return [Assignment(r.clinic_id, r.principal_id, r.role_key, r.granted_by, r.granted_at) for r in rows]

    def add(self, assignment: Assignment) -> bool:
        statement = _insert_unless_present(self._session, role_assignments).values(
            clinic_id=assignment.clinic_id, principal_id=assignment.principal_id, role_key=assignment.role_key,
            granted_by=assignment.granted_by, granted_at=assignment.granted_at,
        )
        return self._session.execute(statement.returning(role_assignments.c.role_key)).first() is not None

    def remove(self, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str) -> bool:
        result = self._session.execute(
            delete(role_assignments).where(
                role_assignments.c.clinic_id == clinic_id,
                role_assignments.c.principal_id == principal_id,
                role_assignments.c.role_key == role_key,
            )
        )
        return result.rowcount == 1

    def holders(self, clinic_id: uuid.UUID, role_key: str) -> int:
        return self._session.execute(
            select(func.count()).where(role_assignments.c.clinic_id == clinic_id,
                                       role_assignments.c.role_key == role_key)
        ).scalar_one()


class SqlAccessAudit:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, entry: AuditEntry) -> None:
        self._session.execute(access_audit.insert().values(
            id=entry.id, clinic_id=entry.clinic_id, actor_id=entry.actor_id, at=entry.at,
            action=str(entry.action), subject=entry.subject, before=entry.before, after=entry.after,
        ))

    def entries(self, clinic_id: uuid.UUID, limit: int, before: datetime | None) -> list[AuditEntry]:
        query = select(access_audit).where(access_audit.c.clinic_id == clinic_id)
        if before is not None:
            query = query.where(access_audit.c.at < before)
        rows = self._session.execute(query.order_by(access_audit.c.at.desc(), access_audit.c.id.desc()).limit(limit))
        return [
            AuditEntry(r.id, r.clinic_id, r.actor_id, r.at, AuditAction(r.action), r.subject, r.before, r.after)
            for r in rows
        ]


def _insert_unless_present(session: Session, table):
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect of the session's database."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def _role_columns(bundle: RoleBundle) -> dict[str, Any]:
    return dict(name=bundle.definition.name, grants=as_documents(bundle.definition.grants),
                version=bundle.version, archived=bundle.archived, updated_at=bundle.updated_at)


def grants_from(document: list[dict[str, str]]) -> tuple[Grant, ...]:
    return tuple(Grant(g["permission"], Scope(g["scope"])) for g in document)


def _to_bundle(row) -> RoleBundle:
    return RoleBundle(row.clinic_id, row.key, RoleDefinition(row.name, grants_from(row.grants)),
                      row.version, row.updated_at, row.archived)
