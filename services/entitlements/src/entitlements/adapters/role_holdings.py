"""The roles a principal holds in a clinic, as a decision reads them.

This is the hot path of the service (every protected request at the gateway may ask), so it is
one statement on an autocommit connection: no BEGIN/ROLLBACK round trips, no ORM session. The
assignments are joined with the clinic's own roles; built-in roles come from code. A patient's
login also holds the role of the tier its patient record is on, read through the tier at this
moment, so changing a tier's role changes it for every patient on the tier at once.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import Engine, and_, bindparam, false, select, union_all

from entitlements.adapters.orm import care_patients, patient_tiers, role_assignments, roles, tier_memberships
from entitlements.adapters.repository import grants_from
from entitlements.domain.roles import BUILT_IN_ROLES, Role

_ASSIGNED = (
    select(role_assignments.c.role_key, roles.c.name, roles.c.grants, roles.c.archived)
    .select_from(role_assignments.outerjoin(
        roles, and_(roles.c.clinic_id == role_assignments.c.clinic_id, roles.c.key == role_assignments.c.role_key)
    ))
    .where(role_assignments.c.clinic_id == bindparam("clinic_id"),
           role_assignments.c.principal_id == bindparam("principal_id"))
)
_BY_TIER = (
    select(patient_tiers.c.role_key, roles.c.name, roles.c.grants, roles.c.archived)
    .select_from(
        care_patients
        .join(tier_memberships, and_(tier_memberships.c.clinic_id == care_patients.c.clinic_id,
                                     tier_memberships.c.patient_id == care_patients.c.patient_id))
        .join(patient_tiers, and_(patient_tiers.c.clinic_id == tier_memberships.c.clinic_id,
                                  patient_tiers.c.key == tier_memberships.c.tier_key))
        .outerjoin(roles, and_(roles.c.clinic_id == patient_tiers.c.clinic_id,
                               roles.c.key == patient_tiers.c.role_key))
    )
    .where(care_patients.c.account_id == bindparam("principal_id"),
           care_patients.c.clinic_id == bindparam("clinic_id"),
           care_patients.c.archived == false(), patient_tiers.c.archived == false())
)
_HELD = union_all(_ASSIGNED, _BY_TIER)


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
            if any(role.key == key for role in held):
                continue  # assigned and also given by the tier
            if key in BUILT_IN_ROLES:
                held.append(BUILT_IN_ROLES[key])
            elif grants is not None and not archived:  # an archived role grants nothing
                held.append(Role(key, name, grants_from(grants)))
        return held
