"""What a patient's care looks like now: their tier and its period, their enrollments with the
sessions left, and the access grants open to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from entitlements.domain.enrollments import Enrollment
from entitlements.domain.service_plans import AccessGrant
from entitlements.domain.tiers import Membership, Tier
from entitlements.service_layer.care_unit_of_work import CareUnitOfWork


@dataclass(frozen=True)
class MembershipView:
    membership: Membership
    tier: Tier


@dataclass(frozen=True)
class CareView:
    patient_id: uuid.UUID
    membership: MembershipView | None
    enrollments: tuple[Enrollment, ...]  # newest first
    access: tuple[tuple[AccessGrant, datetime | None], ...]  # open grants and until when (None: no end)


def care_of(uow: CareUnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID, now: datetime) -> CareView:
    membership = uow.memberships.get(clinic_id, patient_id)
    tier = None if membership is None else uow.tiers.get(clinic_id, membership.tier_key)
    held = tuple(reversed(uow.enrollments.of_patient(clinic_id, patient_id)))
    return CareView(patient_id, None if membership is None or tier is None else MembershipView(membership, tier),
                    held, open_access(held, now))


def open_access(held: tuple[Enrollment, ...] | list[Enrollment],
                now: datetime) -> tuple[tuple[AccessGrant, datetime | None], ...]:
    """Each access grant some enrollment opens at `now`, with the latest end among them."""
    until: dict[AccessGrant, datetime | None] = {}
    for enrollment in held:
        if not enrollment.access_open_at(now):
            continue
        for grant in enrollment.access_grants:
            if grant not in until:
                until[grant] = enrollment.access_until
            elif until[grant] is not None:
                end = enrollment.access_until
                until[grant] = None if end is None else max(end, until[grant])  # type: ignore[type-var]
    return tuple(sorted(until.items()))
