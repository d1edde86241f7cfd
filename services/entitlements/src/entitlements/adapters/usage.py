"""Where usage meters are read and kept: the interface and its SQLAlchemy adapter.

Counts are read from what the meters count, never from a running total, so a redelivered event
cannot make a count drift: specialists and locations have one row each (kept at the highest
version seen), patients are entitlements' patient read model (`care_patients`), staff users are
the principals holding a staff role (`role_assignments`), and video minutes one row per
consultation.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic_runtime.db import keep_newest_statement
from entitlements.adapters.orm import (
    care_patients,
    metered_entities,
    role_assignments,
    usage_pack_draws,
    video_minutes_used,
)
from entitlements.adapters.repository import SqlRoleRepository, _insert_unless_present
from entitlements.domain.roles import PATIENT_ROLE, patient_safe_role
from entitlements.domain.subscriptions import BillingPeriod


class UsageMeters(Protocol):
    def count(self, clinic_id: uuid.UUID, meter: str) -> int:
        """How many of `meter`'s things the clinic has (patients, specialists, staff users, locations)."""

    def keep(self, clinic_id: uuid.UUID, meter: str, entity_id: uuid.UUID, version: int, counted: bool) -> None:
        """Record a thing's state at `version`, unless a newer version is kept already."""

    def is_staff_role(self, clinic_id: uuid.UUID, role_key: str) -> bool:
        """Whether holding the role makes a principal a staff user (patients' roles do not)."""

    def is_staff(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> bool: ...

    def holders_joining_staff(self, clinic_id: uuid.UUID, role_key: str) -> int:
        """How many of those holding the role hold no other staff role: the staff users it would
        add were it a staff role."""

    def video_minutes(self, clinic_id: uuid.UUID, period: BillingPeriod) -> int: ...

    def drawn(self, clinic_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """Minutes taken from each until-consumed pack so far, by subscription item."""

    def drawn_in(self, clinic_id: uuid.UUID, period: BillingPeriod) -> int: ...

    def record_video(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID, period: BillingPeriod, minutes: int,
                     completed_at: datetime) -> bool:
        """Record a consultation's minutes; False when it was recorded already."""

    def record_draw(self, clinic_id: uuid.UUID, item_id: uuid.UUID, appointment_id: uuid.UUID,
                    period: BillingPeriod, minutes: int) -> None: ...


# Events of one entity may come out of order: the newest version decides whether it counts.
_KEEP_NEWEST_ENTITY = keep_newest_statement(metered_entities)


class SqlUsageMeters:
    def __init__(self, session: Session) -> None:
        self._session = session

    def count(self, clinic_id: uuid.UUID, meter: str) -> int:
        if meter == "patients":
            query = select(func.count()).where(care_patients.c.clinic_id == clinic_id,
                                               care_patients.c.archived.is_(False))
        elif meter == "staff_users":
            query = select(func.count(func.distinct(role_assignments.c.principal_id))).where(
                role_assignments.c.clinic_id == clinic_id,
                role_assignments.c.role_key.not_in(self._patient_roles(clinic_id)))
        else:
            query = select(func.count()).where(metered_entities.c.clinic_id == clinic_id,
                                               metered_entities.c.meter == meter,
                                               metered_entities.c.counted.is_(True))
        return self._session.execute(query).scalar_one()

    def keep(self, clinic_id: uuid.UUID, meter: str, entity_id: uuid.UUID, version: int, counted: bool) -> None:
        self._session.execute(_KEEP_NEWEST_ENTITY, {"clinic_id": clinic_id, "meter": meter, "entity_id": entity_id,
                                                    "version": version, "counted": counted})

    def is_staff_role(self, clinic_id: uuid.UUID, role_key: str) -> bool:
        return role_key not in self._patient_roles(clinic_id)

    def is_staff(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> bool:
        return self._session.execute(
            select(func.count()).where(role_assignments.c.clinic_id == clinic_id,
                                       role_assignments.c.principal_id == principal_id,
                                       role_assignments.c.role_key.not_in(self._patient_roles(clinic_id)))
        ).scalar_one() > 0

    def holders_joining_staff(self, clinic_id: uuid.UUID, role_key: str) -> int:
        other_staff_roles = select(role_assignments.c.principal_id).where(
            role_assignments.c.clinic_id == clinic_id,
            role_assignments.c.role_key.not_in({role_key, *self._patient_roles(clinic_id)}))
        return self._session.execute(
            select(func.count()).where(role_assignments.c.clinic_id == clinic_id,
                                       role_assignments.c.role_key == role_key,
                                       role_assignments.c.principal_id.not_in(other_staff_roles))
        ).scalar_one()

    def video_minutes(self, clinic_id: uuid.UUID, period: BillingPeriod) -> int:
        return self._session.execute(
            select(func.coalesce(func.sum(video_minutes_used.c.minutes), 0))
            .where(video_minutes_used.c.clinic_id == clinic_id, video_minutes_used.c.period == str(period))
        ).scalar_one()

    def drawn(self, clinic_id: uuid.UUID) -> dict[uuid.UUID, int]:
        rows = self._session.execute(
            select(usage_pack_draws.c.item_id, func.sum(usage_pack_draws.c.minutes))
            .where(usage_pack_draws.c.clinic_id == clinic_id).group_by(usage_pack_draws.c.item_id))
        return {item_id: int(minutes) for item_id, minutes in rows}

    def drawn_in(self, clinic_id: uuid.UUID, period: BillingPeriod) -> int:
        return self._session.execute(
            select(func.coalesce(func.sum(usage_pack_draws.c.minutes), 0))
            .where(usage_pack_draws.c.clinic_id == clinic_id, usage_pack_draws.c.period == str(period))
        ).scalar_one()

    def record_video(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID, period: BillingPeriod, minutes: int,
                     completed_at: datetime) -> bool:
        statement = _insert_unless_present(self._session, video_minutes_used).values(
            clinic_id=clinic_id, appointment_id=appointment_id, period=str(period), minutes=minutes,
            completed_at=completed_at)
        return self._session.execute(statement.returning(video_minutes_used.c.appointment_id)).first() is not None

    def record_draw(self, clinic_id: uuid.UUID, item_id: uuid.UUID, appointment_id: uuid.UUID,
                    period: BillingPeriod, minutes: int) -> None:
        self._session.execute(usage_pack_draws.insert().values(
            clinic_id=clinic_id, item_id=item_id, appointment_id=appointment_id, period=str(period), minutes=minutes))

    def _patient_roles(self, clinic_id: uuid.UUID) -> set[str]:
        """The roles that make a patient, not a staff user: the built-in one and every clinic role
        a patient may hold (the roles tiers may map to); holding any other makes a staff user."""
        bundles = SqlRoleRepository(self._session).list(clinic_id)
        return {PATIENT_ROLE, *(b.key for b in bundles if patient_safe_role(b.key, b))}
