"""The roles a principal holds in a clinic, as a decision reads them.

This is the hot path of the service (every protected request at the gateway may ask), so it is
one statement on an autocommit connection: no BEGIN/ROLLBACK round trips, no ORM session. The
assignments are joined with the clinic's own roles; built-in roles come from code.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import Engine, and_, bindparam, select

from entitlements.adapters.orm import role_assignments, roles
from entitlements.adapters.repository import grants_from
from entitlements.domain.roles import BUILT_IN_ROLES, Role

_HELD = (
    select(role_assignments.c.role_key, roles.c.name, roles.c.grants, roles.c.archived)
    .select_from(role_assignments.outerjoin(
        roles, and_(roles.c.clinic_id == role_assignments.c.clinic_id, roles.c.key == role_assignments.c.role_key)
    ))
    .where(role_assignments.c.clinic_id == bindparam("clinic_id"),
           role_assignments.c.principal_id == bindparam("principal_id"))
)


class RoleHoldings(Protocol):
    def held_by(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> list[Role]: ...


class SqlRoleHoldings:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    def held_by(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> list[Role]:
        with self._engine.connect() as connection:
            rows = connection.execute(_HELD, {"clinic_id": clinic_id, "principal_id": principal_id}).all()
        held = []
        for key, name, grants, archived in rows:
            if key in BUILT_IN_ROLES:
                held.append(BUILT_IN_ROLES[key])
            elif grants is not None and not archived:  # an archived role grants nothing
                held.append(Role(key, name, grants_from(grants)))
        return held
