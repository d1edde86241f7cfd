"""Use cases on patient tiers and the tier each patient is on, and the tier lifecycle the worker
runs (renewal at the end of each period).

A patient's tier role is not copied anywhere: decisions look it up through the patient's tier,
so changing a tier's role changes it for every patient on it at once. A tier's inclusions are
granted as enrollments for each period; changing them takes effect at each patient's next
renewal (or tier change), so a period's grant never changes under a patient's feet.

A tier's inclusion is granted once per patient and period (its grant key). A patient who comes
back to a tier within a period they were granted for (Premium -> Basic -> Premium, or a tier
cancelled and set again) resumes that period, whatever the other tier's period, and gets that
grant back as it was: active again, its sessions used and reserved as they were. Flipping tiers
never yields fresh sessions; only a new period does.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from clinic_contracts import uuid7
from clinic_contracts.events.entitlements import (
    EnrollmentCanceledV1,
    EnrollmentExpiredV1,
    EnrollmentGrantedV1,
    EnrollmentRenewedV1,
    PatientTierChangedV1,
    PeriodSnapshot,
    PlanPrice,
    TierArchivedV1,
    TierInclusion,
    TierUpsertedV1,
)
from clinic_runtime.problems import FieldError
from clinic_runtime.refusals import Conflict, Invalid, NotFound, StaleVersion
from entitlements.domain.audit import AuditAction, AuditEntry
from entitlements.domain.enrollments import Enrollment, EnrollmentSource, EnrollmentStatus, grant_for_tier
from entitlements.domain.roles import BUILT_IN_ROLES, patient_safe_role
from entitlements.domain.tiers import Membership, OnRenewal, Tier, TierArchived, TierTerms, check_tier
from entitlements.service_layer.care_unit_of_work import CareUnitOfWork
from entitlements.service_layer.enrollments import enrollment_snapshot, known_patient

log = logging.getLogger(__name__)


class TierInUse(Exception):
    def __init__(self, members: int) -> None:
        super().__init__(f"{members} patient(s) are on the tier")
        self.members = members


class ConcurrentTierChange(Exception):
    """Someone else changed the patient's tier while this change was being made."""


# -- the clinic's tiers ---------------------------------------------------------------------------


def create_tier(uow: CareUnitOfWork, clinic_id: uuid.UUID, key: str, terms: TierTerms, actor: uuid.UUID | None,
                now: datetime) -> Tier:
    _check(uow, clinic_id, key, terms)
    tier = Tier(clinic_id, key, _trimmed(terms), 1, False, now)
    if not uow.tiers.add(tier):
        raise Conflict("tier-exists", f"The clinic already has a tier {key}.")
    uow.audit.record(AuditEntry(uuid7(), clinic_id, actor, now, AuditAction.TIER_CREATED, tier_subject(key),
                                None, tier_state(tier)))
    uow.publish(_tier_event(TierUpsertedV1, tier), clinic_id=clinic_id)
    return tier


def existing_tier(uow: CareUnitOfWork, clinic_id: uuid.UUID, key: str, *, lock: bool = False) -> Tier:
    tier = uow.tiers.get(clinic_id, key, lock=lock)
    if tier is None:
        raise NotFound(f"tier {key} in this clinic")
    return tier


def change_tier(uow: CareUnitOfWork, clinic_id: uuid.UUID, key: str, terms: TierTerms, expected_version: int,
                actor: uuid.UUID | None, now: datetime) -> Tier:
    tier = _editable_tier(uow, clinic_id, key, expected_version)
    _check(uow, clinic_id, None, terms)
    terms = _trimmed(terms)
    if terms == tier.terms:
        return tier
    return _save(uow, tier, replace(tier, terms=terms), AuditAction.TIER_CHANGED, TierUpsertedV1, actor, now)


def archive_tier(uow: CareUnitOfWork, clinic_id: uuid.UUID, key: str, expected_version: int,
                 actor: uuid.UUID | None, now: datetime) -> Tier:
    """Archive a tier no patient is on (move them first: a tier change is a decision about each)."""
    tier = _editable_tier(uow, clinic_id, key, expected_version)
    members = uow.memberships.members(clinic_id, key)
    if members:
        raise TierInUse(members)
    return _save(uow, tier, replace(tier, archived=True), AuditAction.TIER_ARCHIVED, TierArchivedV1, actor, now)


def _editable_tier(uow: CareUnitOfWork, clinic_id: uuid.UUID, key: str, expected_version: int) -> Tier:
    """The tier, locked, when it is live and at the version the caller read."""
    tier = existing_tier(uow, clinic_id, key, lock=True)
    if tier.archived:
        raise TierArchived(key)
    if tier.version != expected_version:
        raise StaleVersion(tier.version)
    return tier


def _save(uow: CareUnitOfWork, tier: Tier, changed: Tier, action: AuditAction, event_type,
          actor: uuid.UUID | None, now: datetime) -> Tier:
    """Store `changed` as the tier's next version, audited and published."""
    changed = replace(changed, version=tier.version + 1, updated_at=now)
    if not uow.tiers.save(changed, tier.version):
        raise StaleVersion(existing_tier(uow, tier.clinic_id, tier.key).version)
    uow.audit.record(AuditEntry(uuid7(), tier.clinic_id, actor, now, action, tier_subject(tier.key),
                                tier_state(tier), tier_state(changed)))
    uow.publish(_tier_event(event_type, changed), clinic_id=tier.clinic_id)
    return changed


def _check(uow: CareUnitOfWork, clinic_id: uuid.UUID, key: str | None, terms: TierTerms) -> None:
    # Locked, as change_role locks it: a role change and a tier mapping to it see each other.
    role = uow.roles.get(clinic_id, terms.role_key, lock=terms.role_key not in BUILT_IN_ROLES)
    role_known = terms.role_key in BUILT_IN_ROLES or (role is not None and not role.archived)
    problems = check_tier(key, terms, role_known, uow.service_plans.live_ids(clinic_id),
                          role_patient_safe=patient_safe_role(terms.role_key, role))
    if problems:
        raise Invalid([FieldError(field, message) for field, message in problems])


def _trimmed(terms: TierTerms) -> TierTerms:
    return replace(terms, name=terms.name.strip())


# -- a patient's tier -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TierChange:
    membership: Membership | None  # None: the patient is on no tier now
    tier: Tier | None  # the tier of `membership`
    granted: tuple[Enrollment, ...]


def set_patient_tier(uow: CareUnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID, tier_key: str | None,
                     actor: uuid.UUID | None, now: datetime) -> TierChange:
    """Put the patient on a tier ("this patient is now Premium"), move them to another, or cancel
    their tier (`tier_key` None). Their role follows at once. Coming back to a tier within a
    period of it they were granted for resumes that period and its grants. Otherwise moving keeps
    the current period when both tiers' periods are alike (the new tier's inclusions are granted
    for the rest of it, in full unless an inclusion says prorated), or a new period starts now.
    The previous tier's enrollments expire; cancelling ends them softly."""
    current = uow.memberships.get(clinic_id, patient_id, lock=True)
    if tier_key is None:
        if current is not None:
            _cancel(uow, current, actor, now)
        return TierChange(None, None, ())
    if current is not None and current.tier_key == tier_key:
        return TierChange(current, uow.tiers.get(clinic_id, tier_key), ())
    known_patient(uow, clinic_id, patient_id)
    # Locked, as archive_tier locks it to count its members: either that archive waits for this
    # patient to be counted, or this change finds the tier archived.
    tier = existing_tier(uow, clinic_id, tier_key, lock=True)
    if tier.archived:
        raise TierArchived(tier_key)
    previous_tier = None if current is None else uow.tiers.get(clinic_id, current.tier_key)
    open_period = _open_period(uow, clinic_id, patient_id, tier_key, now)
    alike = current is not None and previous_tier is not None and previous_tier.terms.period == tier.terms.period
    if open_period is not None:
        start, end = open_period
        # Back within a period: when the tier being left kept this very period (alike), the run is
        # the one it kept; otherwise it is counted from the resumed period's start (a renewal
        # counts afresh from its end when that end is off the run).
        anchor = current.period_anchor if alike and (current.period_start, current.period_end) == open_period \
            else start
    elif alike:
        start, end, anchor = current.period_start, current.period_end, current.period_anchor
    else:
        start, end, anchor = now, tier.terms.period.after(now), now
    membership = Membership(clinic_id, patient_id, tier_key, start, end, anchor, now, actor,
                            1 if current is None else current.version + 1)
    if not uow.memberships.put(membership, current):
        raise ConcurrentTierChange(str(patient_id))
    if current is not None:
        _end_tier_enrollments(uow, current, EnrollmentStatus.EXPIRED, now, actor)
    granted = tuple(_grant_inclusions(uow, tier, membership, now, actor, joining=True))
    uow.audit.record(AuditEntry(uuid7(), clinic_id, actor, now, AuditAction.PATIENT_TIER_SET,
                                patient_tier_subject(patient_id), _membership_state(current),
                                _membership_state(membership)))
    uow.publish(PatientTierChangedV1(
        clinic_id=clinic_id, patient_id=patient_id, tier_key=tier_key,
        previous_tier_key=None if current is None else current.tier_key, period_start=start, period_end=end,
        changed_by=actor, changed_at=now), clinic_id=clinic_id)
    return TierChange(membership, tier, granted)


def _open_period(uow: CareUnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID, tier_key: str,
                 now: datetime) -> tuple[datetime, datetime] | None:
    """The period of this tier the patient was granted for and that is still running at `now`
    (they were on the tier earlier in it), if any: coming back resumes it."""
    for enrollment in reversed(uow.enrollments.of_patient(clinic_id, patient_id)):
        if (enrollment.source is EnrollmentSource.TIER and enrollment.tier_key == tier_key
                and enrollment.sessions_until is not None and enrollment.starts_at <= now < enrollment.sessions_until):
            return enrollment.starts_at, enrollment.sessions_until
    return None


def _cancel(uow: CareUnitOfWork, current: Membership, actor: uuid.UUID | None, now: datetime) -> None:
    if not uow.memberships.remove(current):
        raise ConcurrentTierChange(str(current.patient_id))
    _end_tier_enrollments(uow, current, EnrollmentStatus.CANCELED, now, actor)
    uow.audit.record(AuditEntry(uuid7(), current.clinic_id, actor, now, AuditAction.PATIENT_TIER_CANCELED,
                                patient_tier_subject(current.patient_id), _membership_state(current), None))
    uow.publish(PatientTierChangedV1(
        clinic_id=current.clinic_id, patient_id=current.patient_id, tier_key=None,
        previous_tier_key=current.tier_key, period_start=None, period_end=None, changed_by=actor, changed_at=now,
    ), clinic_id=current.clinic_id)


def _end_tier_enrollments(uow: CareUnitOfWork, membership: Membership, status: EnrollmentStatus, now: datetime,
                          actor: uuid.UUID | None) -> None:
    for enrollment in _tier_enrollments(uow, membership):
        if enrollment.status is not EnrollmentStatus.ACTIVE:
            continue
        ended = uow.enrollments.end(enrollment, status, now)
        if ended is None:
            continue
        snapshot = enrollment_snapshot(ended)
        if status is EnrollmentStatus.CANCELED:
            event = EnrollmentCanceledV1(clinic_id=ended.clinic_id, enrollment=snapshot, occurred_at=now,
                                         reason="tier_canceled", canceled_by=actor)
        else:
            event = EnrollmentExpiredV1(clinic_id=ended.clinic_id, enrollment=snapshot, occurred_at=now,
                                        reason="tier_changed")
        uow.publish(event, clinic_id=ended.clinic_id)


def _tier_enrollments(uow: CareUnitOfWork, membership: Membership) -> list[Enrollment]:
    return [e for e in uow.enrollments.of_patient(membership.clinic_id, membership.patient_id)
            if e.source is EnrollmentSource.TIER and e.tier_key == membership.tier_key]


def _grant_inclusions(uow: CareUnitOfWork, tier: Tier, membership: Membership, now: datetime,
                      actor: uuid.UUID | None, *, joining: bool, carried: dict[uuid.UUID, Enrollment] | None = None,
                      ) -> list[Enrollment]:
    granted = []
    for inclusion in tier.terms.inclusions:
        plan = uow.service_plans.get(tier.clinic_id, inclusion.plan_id)
        if plan is None or plan.archived:
            log.warning("a tier includes a service plan that is no longer offered; not granted",
                        extra={"tier_key": tier.key, "plan_id": str(inclusion.plan_id)})
            continue
        sessions = (inclusion.sessions_joining(membership.period_start, membership.period_end, now) if joining
                    else inclusion.sessions)
        previous = (carried or {}).get(inclusion.plan_id)
        carried_from = previous if inclusion.on_renewal is OnRenewal.CARRY else None
        carried_over = 0 if carried_from is None else carried_from.sessions_remaining
        enrollment = grant_for_tier(plan, membership.patient_id, uuid7(), tier.key, sessions + carried_over,
                                    membership.period_start, membership.period_end, now, actor,
                                    None if carried_from is None else carried_from.id)
        if not uow.enrollments.add(enrollment):
            # Granted already for this period (a patient back on the tier within it, or a second
            # run): the grant is theirs again as it was, never a fresh one.
            restored = _restore_grant(uow, tier.clinic_id, enrollment.grant_key)  # type: ignore[arg-type]
            if restored is None:
                continue
            enrollment = restored
        granted.append(enrollment)
        snapshot = enrollment_snapshot(enrollment)
        if joining:
            event = EnrollmentGrantedV1(clinic_id=tier.clinic_id, enrollment=snapshot, occurred_at=now,
                                        granted_by=actor)
        else:
            event = EnrollmentRenewedV1(clinic_id=tier.clinic_id, enrollment=snapshot, occurred_at=now,
                                        previous_enrollment_id=None if previous is None else previous.id,
                                        carried_over=carried_over)
        uow.publish(event, clinic_id=tier.clinic_id)
    return granted


def _restore_grant(uow: CareUnitOfWork, clinic_id: uuid.UUID, grant_key: str) -> Enrollment | None:
    """The grant, active again with its counts as they were; None when it is active already."""
    existing = uow.enrollments.by_grant(clinic_id, grant_key)
    if existing is None or existing.status is EnrollmentStatus.ACTIVE:
        return None
    return uow.enrollments.restore(existing)


# -- renewal (the worker's timer) -------------------------------------------------------------------


def renew(uow: CareUnitOfWork, membership: Membership, now: datetime) -> bool:
    """Roll the membership over into its next period (skipping any period missed entirely):
    the ending period's grants expire, and each inclusion is granted for the new period, with
    the leftovers when it carries them. False when another run already renewed this period, so
    running twice for the same period grants once."""
    tier = uow.tiers.get(membership.clinic_id, membership.tier_key)
    if tier is None:
        return False
    renewed = membership.renewed(tier.terms.period, now)
    if not uow.memberships.put(renewed, membership):
        return False
    ending = [e for e in _tier_enrollments(uow, membership) if e.starts_at == membership.period_start]
    by_plan = {e.plan_id: e for e in ending}
    for enrollment in ending:
        if enrollment.status is not EnrollmentStatus.ACTIVE:
            continue
        expired = uow.enrollments.end(enrollment, EnrollmentStatus.EXPIRED, now)
        if expired is not None:
            # Its counts as ended, not as read: a session given back meanwhile is a leftover too.
            by_plan[expired.plan_id] = expired
            uow.publish(EnrollmentExpiredV1(clinic_id=expired.clinic_id, enrollment=enrollment_snapshot(expired),
                                            occurred_at=now, reason="tier_period_ended"),
                        clinic_id=expired.clinic_id)
    _grant_inclusions(uow, tier, renewed, now, None, joining=False, carried=by_plan)
    return True


# -- representations shared by events and the audit ---------------------------------------------------


def tier_subject(key: str) -> str:
    return f"tier/{key}"


def patient_tier_subject(patient_id: uuid.UUID) -> str:
    return f"patient/{patient_id}/tier"


def tier_state(tier: Tier) -> dict[str, object]:
    terms = tier.terms
    return {"key": tier.key, "name": terms.name, "role_key": terms.role_key, "period": terms.period.as_document(),
            "price": None if terms.price is None else {"amount_minor": terms.price.amount_minor,
                                                       "currency": terms.price.currency},
            "inclusions": [i.as_document() for i in terms.inclusions], "version": tier.version,
            "archived": tier.archived}


def _membership_state(membership: Membership | None) -> dict[str, object] | None:
    if membership is None:
        return None
    return {"tier_key": membership.tier_key, "period_start": membership.period_start.isoformat(),
            "period_end": membership.period_end.isoformat()}


def _tier_event(event_type, tier: Tier):
    terms = tier.terms
    return event_type(
        clinic_id=tier.clinic_id, tier_key=tier.key, name=terms.name, role_key=terms.role_key,
        period=PeriodSnapshot(count=terms.period.count, unit=str(terms.period.unit)),
        price=None if terms.price is None else PlanPrice(amount_minor=terms.price.amount_minor,
                                                         currency=terms.price.currency),
        inclusions=[TierInclusion(plan_id=i.plan_id, sessions=i.sessions, on_renewal=str(i.on_renewal),
                                  on_upgrade=str(i.on_upgrade)) for i in terms.inclusions],
        version=tier.version, archived=tier.archived, updated_at=tier.updated_at,
    )
