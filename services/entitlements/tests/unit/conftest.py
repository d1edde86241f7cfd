"""Fakes of entitlements's ports, so rules and use cases are specified without a database.

`FakeUnitOfWork` satisfies `entitlements.service_layer.unit_of_work.UnitOfWork`: in-memory
repositories, the access audit as a list, and the events the use case published.
`FakeRoleHoldings` satisfies `entitlements.adapters.role_holdings.RoleHoldings` and counts lookups.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clinic_contracts import Event
from entitlements.adapters.repository import AccessAudit, AssignmentRepository, RoleRepository
from entitlements.adapters.role_holdings import RoleHoldings
from entitlements.domain.assignments import Assignment
from entitlements.domain.audit import AuditEntry
from entitlements.domain.roles import BUILT_IN_ROLES, Role, RoleBundle
from entitlements.service_layer.unit_of_work import UnitOfWork


class FakeRoleRepository:
    def __init__(self) -> None:
        self._roles: dict[tuple[uuid.UUID, str], RoleBundle] = {}
        self._concurrent_write: RoleBundle | None = None
        self.locked: list[tuple[uuid.UUID, str]] = []
        self.tiers: dict[tuple[uuid.UUID, str], list[str]] = {}  # (clinic, role key) -> live tiers

    def get(self, clinic_id: uuid.UUID, key: str, *, lock: bool = False) -> RoleBundle | None:
        if lock:
            self.locked.append((clinic_id, key))
        return self._roles.get((clinic_id, key))

    def list(self, clinic_id: uuid.UUID) -> list[RoleBundle]:
        return sorted((b for (c, _), b in self._roles.items() if c == clinic_id), key=lambda b: b.key)

    def tier_keys(self, clinic_id: uuid.UUID, role_key: str) -> list[str]:
        return self.tiers.get((clinic_id, role_key), [])

    def add(self, bundle: RoleBundle) -> bool:
        if (bundle.clinic_id, bundle.key) in self._roles:
            return False
        self._roles[(bundle.clinic_id, bundle.key)] = bundle
        return True

    def save(self, bundle: RoleBundle, expected_version: int) -> bool:
        if self._concurrent_write is not None:
            theirs, self._concurrent_write = self._concurrent_write, None
            self._roles[(theirs.clinic_id, theirs.key)] = theirs
        held = self._roles.get((bundle.clinic_id, bundle.key))
        if held is None or held.version != expected_version:
            return False
        self._roles[(bundle.clinic_id, bundle.key)] = bundle
        return True

    # -- test controls, not part of the port --

    def someone_else_saves_first(self, bundle: RoleBundle) -> None:
        """Another writer stores `bundle` between this use case's read and its save."""
        self._concurrent_write = bundle


class FakeAssignmentRepository:
    def __init__(self) -> None:
        self._assignments: dict[tuple[uuid.UUID, uuid.UUID, str], Assignment] = {}

    def held_by(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> list[Assignment]:
        return sorted((a for (c, p, _), a in self._assignments.items() if (c, p) == (clinic_id, principal_id)),
                      key=lambda a: a.role_key)

    def add(self, assignment: Assignment) -> bool:
        key = (assignment.clinic_id, assignment.principal_id, assignment.role_key)
        if key in self._assignments:
            return False
        self._assignments[key] = assignment
        return True

    def remove(self, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str) -> bool:
        return self._assignments.pop((clinic_id, principal_id, role_key), None) is not None

    def holders(self, clinic_id: uuid.UUID, role_key: str) -> int:
        return sum(1 for (c, _, k) in self._assignments if (c, k) == (clinic_id, role_key))

    # -- test controls, not part of the port --

    def all(self) -> list[Assignment]:
        return list(self._assignments.values())


class FakeAccessAudit:
    def __init__(self) -> None:
        self.recorded: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.recorded.append(entry)

    def entries(self, clinic_id: uuid.UUID, limit: int, before: datetime | None) -> list[AuditEntry]:
        mine = [e for e in self.recorded if e.clinic_id == clinic_id and (before is None or e.at < before)]
        return sorted(mine, key=lambda e: (e.at, e.id), reverse=True)[:limit]


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.roles = FakeRoleRepository()
        self.assignments = FakeAssignmentRepository()
        self.audit = FakeAccessAudit()
        self.published: list[tuple[Event, uuid.UUID]] = []

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None:
        self.published.append((event, clinic_id))


class FakeRoleHoldings:
    """Roles held per (clinic, principal), as the decision adapter would return them."""

    def __init__(self) -> None:
        self._held: dict[tuple[uuid.UUID, uuid.UUID], list[Role]] = {}
        self.lookups = 0

    def held_by(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> list[Role]:
        self.lookups += 1
        return list(self._held.get((clinic_id, principal_id), []))

    # -- test controls, not part of the port --

    def give(self, clinic_id: uuid.UUID, principal_id: uuid.UUID, *roles: Role | str) -> None:
        resolved = [BUILT_IN_ROLES[r] if isinstance(r, str) else r for r in roles]
        self._held.setdefault((clinic_id, principal_id), []).extend(resolved)


# The fakes must keep fitting the ports they stand in for (checked by type checkers).
_roles: RoleRepository = FakeRoleRepository()
_assignments: AssignmentRepository = FakeAssignmentRepository()
_audit: AccessAudit = FakeAccessAudit()
_uow: UnitOfWork = FakeUnitOfWork()
_holdings: RoleHoldings = FakeRoleHoldings()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def holdings() -> FakeRoleHoldings:
    return FakeRoleHoldings()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)


@pytest.fixture
def later(now: datetime) -> datetime:
    return now + timedelta(hours=1)


@pytest.fixture
def clinic_id() -> uuid.UUID:
    return uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")


@pytest.fixture
def admin_id() -> uuid.UUID:
    return uuid.UUID("0193a5e0-0000-7000-8000-00000000ad41")
