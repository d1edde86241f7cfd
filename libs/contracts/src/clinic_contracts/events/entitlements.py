"""Events published by the entitlements service."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field

from clinic_contracts.envelope import Event


class PermissionGrant(BaseModel):
    permission: str = Field(description="A name from entitlements' fixed permission list, e.g. appointments.read.")
    scope: Literal["any", "own"] = Field(
        description="any: every resource of the clinic; own: only resources the principal owns.")


class RoleUpsertedV1(Event):
    """A clinic-defined role bundle was created or changed. Carries the full snapshot."""

    event_type: ClassVar[str] = "entitlements.role.upserted.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    role_key: str = Field(description="Stable handle of the role within its clinic, e.g. front-desk-lead.")
    name: str
    grants: list[PermissionGrant]
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    updated_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.role_key}"


class RoleArchivedV1(Event):
    """A clinic-defined role was archived: it grants nothing from now on and can no longer be assigned."""

    event_type: ClassVar[str] = "entitlements.role.archived.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    role_key: str
    version: int
    archived_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.role_key}"


class RoleAssignmentGrantedV1(Event):
    """A principal (an account at the gateway) was given a role in a clinic."""

    event_type: ClassVar[str] = "entitlements.role_assignment.granted.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    principal_id: uuid.UUID
    role_key: str = Field(description="A built-in role (clinic_admin, receptionist, specialist, patient) or a clinic-defined one.")
    granted_by: uuid.UUID | None = Field(description="The account that granted it; none when the platform did.")
    granted_at: AwareDatetime

    def subject(self) -> str:
        return str(self.principal_id)


class RoleAssignmentRevokedV1(Event):
    """A principal lost a role in a clinic."""

    event_type: ClassVar[str] = "entitlements.role_assignment.revoked.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    principal_id: uuid.UUID
    role_key: str
    revoked_by: uuid.UUID | None
    revoked_at: AwareDatetime

    def subject(self) -> str:
        return str(self.principal_id)


# -- the commercial model: platform plans, subscriptions, overrides, capabilities ------------


class PlanPrice(BaseModel):
    amount_minor: int = Field(description="Amount in the currency's minor unit (cents, bani), never negative.")
    currency: str = Field(description="ISO 4217 code.")


class PlanTermsSnapshot(BaseModel):
    """What one version of a platform plan grants and costs."""

    features: list[str] = Field(description="Feature (capability) keys the plan unlocks, sorted.")
    limits: dict[str, int | None] = Field(
        description="Caps it adds: patients, specialists, staff_users, locations, storage_gb, video_minutes; "
                    "null is unlimited.")
    price: PlanPrice | None = Field(description="Per period; none when priced on quote (not subscribable).")
    period: Literal["month", "year", "one_time"]
    pack_validity: Literal["billing_period", "until_consumed"] | None = Field(
        description="Usage packs only: whether the capacity lapses at the end of the month bought or when used up.")


class PlanVersionPublishedV1(Event):
    """A platform plan (base plan, add-on or usage pack) was published or edited: a new, immutable version.
    Existing subscriptions keep the version they hold until an operator migrates them."""

    event_type: ClassVar[str] = "entitlements.plan_version.published.v1"
    producer: ClassVar[str] = "entitlements"

    plan_key: str
    version: int = Field(description="1 for a new plan, then one more per edit.")
    kind: Literal["base", "add_on", "usage_pack"]
    name: str
    terms: PlanTermsSnapshot
    available_with: list[str] = Field(description="Base plans an add-on or pack is sold with; empty: any.")
    published_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.plan_key}/{self.version}"


class PlanWithdrawnV1(Event):
    """A platform plan was archived: it is sold to no new subscriber; clinics holding it keep it."""

    event_type: ClassVar[str] = "entitlements.plan.withdrawn.v1"
    producer: ClassVar[str] = "entitlements"

    plan_key: str
    withdrawn_at: AwareDatetime

    def subject(self) -> str:
        return self.plan_key


class SubscriptionItemSnapshot(BaseModel):
    item_id: uuid.UUID
    plan_key: str
    plan_version: int = Field(description="The version whose terms the item keeps (grandfathering).")
    kind: Literal["base", "add_on", "usage_pack"]
    name: str
    terms: PlanTermsSnapshot
    quantity: int
    started_at: AwareDatetime
    ends_at: AwareDatetime | None = Field(
        description="When the item stops: a billing-period usage pack lapsing, or an item an operator migrated to "
                    "another plan version (a new item takes over from then, and `item_migrated` names it).")
    cancelled_at: AwareDatetime | None


class SubscriptionChangedV1(Event):
    """A clinic's platform subscription changed. Carries every item, cancelled ones included."""

    event_type: ClassVar[str] = "entitlements.subscription.changed.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    change: Literal["started", "item_added", "item_cancelled", "item_migrated"]
    item_id: uuid.UUID = Field(description="The item the change concerns (for `item_migrated`, the new item).")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    items: list[SubscriptionItemSnapshot]
    changed_at: AwareDatetime

    def subject(self) -> str:
        return str(self.clinic_id)


class EntitlementOverrideGrantedV1(Event):
    """Sales granted a clinic features or limits on top of its subscription."""

    event_type: ClassVar[str] = "entitlements.override.granted.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    override_id: uuid.UUID
    features: list[str]
    limits: dict[str, int | None] = Field(description="Added to the subscription's limits; null is unlimited.")
    reason: str
    granted_by: uuid.UUID
    granted_at: AwareDatetime
    expires_at: AwareDatetime | None

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.override_id}"


class EntitlementOverrideRevokedV1(Event):
    """An override stopped counting before its expiry."""

    event_type: ClassVar[str] = "entitlements.override.revoked.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    override_id: uuid.UUID
    revoked_by: uuid.UUID | None
    revoked_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.override_id}"


class CapabilityClearanceChangedV1(Event):
    """The platform's regulatory clearance of a clinical capability was turned on or off, for every clinic."""

    event_type: ClassVar[str] = "entitlements.capability_clearance.changed.v1"
    producer: ClassVar[str] = "entitlements"

    capability: Literal["telerehab", "video_consultations", "camera_measurements"]
    cleared: bool
    changed_by: uuid.UUID | None
    changed_at: AwareDatetime

    def subject(self) -> str:
        return self.capability


class CapabilityPausedV1(Event):
    """A clinical capability was paused for one clinic; its subscription and bill are untouched."""

    event_type: ClassVar[str] = "entitlements.capability.paused.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    capability: Literal["telerehab", "video_consultations", "camera_measurements"]
    reason: str
    expected_until: AwareDatetime | None = Field(description="The ETA the clinic was given, if any.")
    paused_by: uuid.UUID | None
    paused_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.capability}"


class CapabilityResumedV1(Event):
    """A clinic's pause of a clinical capability was lifted."""

    event_type: ClassVar[str] = "entitlements.capability.resumed.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    capability: Literal["telerehab", "video_consultations", "camera_measurements"]
    resumed_by: uuid.UUID | None
    resumed_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.capability}"


# -- patient care: tiers, service-plan enrollments and their reservations -----------------------


class PeriodSnapshot(BaseModel):
    count: int
    unit: Literal["day", "week", "month", "year"]


class TierInclusion(BaseModel):
    plan_id: uuid.UUID = Field(description="The catalog service plan (catalog.plan.*) whose sessions are included.")
    sessions: int = Field(description="Sessions granted per tier period.")
    on_renewal: Literal["drop", "carry"] = Field(
        description="drop: leftovers lapse at renewal (use it or lose it); carry: they are added to the next grant.")
    on_upgrade: Literal["full", "prorated"] = Field(
        description="full: a patient moved onto the tier mid-period gets every session; prorated: the share left.")


class TierSnapshot(Event):
    """A clinic's patient tier: the role its patients hold and what it includes per period."""

    clinic_id: uuid.UUID
    tier_key: str = Field(description="Stable handle of the tier within its clinic, e.g. annual-premium.")
    name: str
    role_key: str = Field(description="The role every patient on the tier holds (built-in or the clinic's own).")
    period: PeriodSnapshot = Field(description="How long one tier period lasts; inclusions renew with it.")
    price: PlanPrice | None = Field(description="What the clinic charges per period (it bills the patient itself).")
    inclusions: list[TierInclusion]
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool
    updated_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.tier_key}"


class TierUpsertedV1(TierSnapshot):
    """A patient tier was created or changed; its patients hold the (possibly new) role at once."""

    event_type: ClassVar[str] = "entitlements.tier.upserted.v1"
    producer: ClassVar[str] = "entitlements"


class TierArchivedV1(TierSnapshot):
    """A patient tier was archived: no patient can be put on it any more."""

    event_type: ClassVar[str] = "entitlements.tier.archived.v1"
    producer: ClassVar[str] = "entitlements"


class PatientTierChangedV1(Event):
    """Staff put a patient on a tier, moved them to another, or cancelled their tier (tier_key null)."""

    event_type: ClassVar[str] = "entitlements.patient_tier.changed.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    patient_id: uuid.UUID = Field(description="Scheduling's patient id.")
    tier_key: str | None = Field(description="The tier the patient is on now; none when cancelled.")
    previous_tier_key: str | None
    period_start: AwareDatetime | None = Field(description="The current tier period; none when cancelled.")
    period_end: AwareDatetime | None
    changed_by: uuid.UUID | None
    changed_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.patient_id}"


class EnrollmentSnapshot(BaseModel):
    enrollment_id: uuid.UUID
    patient_id: uuid.UUID = Field(description="Scheduling's patient id.")
    plan_id: uuid.UUID = Field(description="The catalog service plan.")
    plan_name: str
    source: Literal["purchase", "tier"] = Field(description="Bought directly, or granted by the patient's tier.")
    tier_key: str | None
    service_ids: list[uuid.UUID] = Field(description="Services its sessions can be booked for; empty: any.")
    access_grants: list[Literal["telerehab", "library"]]
    sessions_granted: int
    sessions_reserved: int = Field(description="Held by bookings not paid yet.")
    sessions_used: int
    sessions_remaining: int
    starts_at: AwareDatetime
    sessions_until: AwareDatetime | None = Field(description="Leftover sessions lapse then; none: never.")
    access_until: AwareDatetime | None = Field(description="The access grants end then; none: never.")
    status: Literal["active", "expired", "canceled"]
    ended_at: AwareDatetime | None
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")


class EnrollmentEvent(Event):
    clinic_id: uuid.UUID
    enrollment: EnrollmentSnapshot
    occurred_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.enrollment.enrollment_id}"


class EnrollmentGrantedV1(EnrollmentEvent):
    """A patient was enrolled in a service plan: bought directly, or granted by their tier."""

    event_type: ClassVar[str] = "entitlements.enrollment.granted.v1"
    producer: ClassVar[str] = "entitlements"

    granted_by: uuid.UUID | None = Field(description="The staff account; none when granted by the platform.")


class EnrollmentRenewedV1(EnrollmentEvent):
    """A tier period rolled over: `enrollment` is the new period's grant of one inclusion."""

    event_type: ClassVar[str] = "entitlements.enrollment.renewed.v1"
    producer: ClassVar[str] = "entitlements"

    previous_enrollment_id: uuid.UUID | None = Field(description="The previous period's grant, now expired.")
    carried_over: int = Field(description="Leftover sessions added from the previous period (0 when dropped).")


class EnrollmentExpiredV1(EnrollmentEvent):
    """An enrollment's window or tier period ended: its data stays, leftover sessions can no longer be used."""

    event_type: ClassVar[str] = "entitlements.enrollment.expired.v1"
    producer: ClassVar[str] = "entitlements"

    reason: Literal["window_ended", "tier_period_ended", "tier_changed"]


class EnrollmentCanceledV1(EnrollmentEvent):
    """Staff cancelled an enrollment, or the patient's tier was cancelled (a soft end: data kept)."""

    event_type: ClassVar[str] = "entitlements.enrollment.canceled.v1"
    producer: ClassVar[str] = "entitlements"

    reason: Literal["staff", "tier_canceled"]
    canceled_by: uuid.UUID | None


# A visit's reservation is kept under one appointment whatever it is moved to since.
BOOKED_AS = "The appointment the visit was booked as (the first of its reschedule chain)."


class ReservationEvent(Event):
    clinic_id: uuid.UUID
    reservation_id: uuid.UUID
    enrollment_id: uuid.UUID
    appointment_id: uuid.UUID = Field(description=BOOKED_AS)
    patient_id: uuid.UUID
    sessions_remaining: int = Field(description="Sessions of the enrollment left after this change.")
    occurred_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.appointment_id}"


class ReservationCommittedV1(ReservationEvent):
    """The appointment holding a session was paid: the session is used."""

    event_type: ClassVar[str] = "entitlements.reservation.committed.v1"
    producer: ClassVar[str] = "entitlements"


class ReservationReleasedV1(ReservationEvent):
    """A session held or used by an appointment was given back to the enrollment."""

    event_type: ClassVar[str] = "entitlements.reservation.released.v1"
    producer: ClassVar[str] = "entitlements"

    reason: Literal["appointment_canceled", "appointment_expired", "reservation_expired", "undone"]


class ReservationShortfallV1(Event):
    """A paid appointment booked against an enrollment could take no session of it (its
    reservation had lapsed and the enrollment had ended, was another patient's or had none left):
    the clinic decides what the patient owes."""

    event_type: ClassVar[str] = "entitlements.reservation.shortfall.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    appointment_id: uuid.UUID = Field(description=BOOKED_AS)
    enrollment_id: uuid.UUID
    patient_id: uuid.UUID
    reason: Literal["unknown_enrollment", "other_patient", "ended", "not_started", "sessions_expired",
                    "other_service", "no_sessions_left"]
    occurred_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.appointment_id}"
