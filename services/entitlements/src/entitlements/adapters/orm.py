"""Entitlements's tables (the messaging tables are shared: clinic_runtime.messaging.tables)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from clinic_runtime.db import UtcDateTime

metadata = MetaData()

# JSONB on PostgreSQL (compact, decoded by the driver); JSON text on SQLite. An absent
# before/after is SQL NULL, not the JSON value null.
Document = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

# Clinic-defined roles only: the built-in ones live in code (entitlements.domain.roles).
roles = Table(
    "roles",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("key", String(63), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("grants", Document, nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The primary key is also the index a decision reads: (clinic, principal) -> role keys.
role_assignments = Table(
    "role_assignments",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("principal_id", Uuid, primary_key=True),
    Column("role_key", String(63), primary_key=True),
    Column("granted_by", Uuid, nullable=True),
    Column("granted_at", UtcDateTime, nullable=False),
    Index("ix_role_assignments_role", "clinic_id", "role_key"),
)

access_audit = Table(
    "access_audit",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("clinic_id", Uuid, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("before", Document, nullable=True),
    Column("after", Document, nullable=True),
    Index("ix_access_audit_clinic_at", "clinic_id", "at"),
)

# -- the commercial model -------------------------------------------------------------------------
# The plan catalog and the capability clearances are the platform's, not any clinic's: they carry
# no clinic_id. Everything a clinic holds (its subscription, overrides, pauses) does.

platform_plans = Table(
    "platform_plans",
    metadata,
    Column("key", String(63), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
)


def _terms_columns() -> list[Column]:
    """A plan version's terms, as stored with the version and frozen with each subscription item."""
    return [
        Column("name", String(100), nullable=False),
        Column("features", Document, nullable=False),
        Column("limits", Document, nullable=False),
        Column("price_amount_minor", BigInteger, nullable=True),
        Column("price_currency", String(3), nullable=True),
        Column("period", String(10), nullable=False),
        Column("pack_validity", String(20), nullable=True),
    ]


plan_versions = Table(
    "plan_versions",
    metadata,
    Column("plan_key", String(63), primary_key=True),
    Column("version", Integer, primary_key=True),
    *_terms_columns(),
    Column("available_with", Document, nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    Column("published_by", Uuid, nullable=True),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("version", Integer, nullable=False),
)

subscription_items = Table(
    "subscription_items",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("plan_key", String(63), nullable=False),
    Column("plan_version", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    *_terms_columns(),
    Column("quantity", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("replaces", Uuid, nullable=True),
    Column("charged_from", UtcDateTime, nullable=False),
)

entitlement_overrides = Table(
    "entitlement_overrides",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("features", Document, nullable=False),
    Column("limits", Document, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("granted_by", Uuid, nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)

capability_clearances = Table(
    "capability_clearances",
    metadata,
    Column("capability", String(40), primary_key=True),
    Column("cleared", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("changed_by", Uuid, nullable=True),
)

# The pauses in force; lifting one deletes its row (the access audit keeps the history).
capability_pauses = Table(
    "capability_pauses",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("capability", String(40), primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("expected_until", UtcDateTime, nullable=True),
    Column("paused_at", UtcDateTime, nullable=False),
    Column("paused_by", Uuid, nullable=True),
)

# -- patient care: tiers, service-plan enrollments and their reservations -------------------------

# Read models: patients from scheduling's events, service plans from catalog's (highest version wins).
care_patients = Table(
    "care_patients",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("patient_id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=True),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    # A decision starts from the account: (account, clinic) -> the clinic's patient record.
    Index("ix_care_patients_account", "account_id", "clinic_id"),
)

service_plans = Table(
    "service_plans",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("plan_id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("sessions", Integer, nullable=True),
    Column("session_validity", Document, nullable=True),
    Column("period", Document, nullable=True),
    Column("access_window", Document, nullable=True),
    Column("service_ids", Document, nullable=False),
    Column("access_grants", Document, nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
)

patient_tiers = Table(
    "patient_tiers",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("key", String(63), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role_key", String(63), nullable=False),
    Column("period", Document, nullable=False),
    Column("price_amount_minor", BigInteger, nullable=True),
    Column("price_currency", String(3), nullable=True),
    Column("inclusions", Document, nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The tier each patient is on now and its current period; cancelling deletes the row (the access
# audit and the events keep the history).
tier_memberships = Table(
    "tier_memberships",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("patient_id", Uuid, primary_key=True),
    Column("tier_key", String(63), nullable=False),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("period_anchor", UtcDateTime, nullable=False),
    Column("since", UtcDateTime, nullable=False),
    Column("changed_by", Uuid, nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_tier_memberships_period_end", "period_end"),
)

enrollments = Table(
    "enrollments",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("patient_id", Uuid, nullable=False),
    Column("plan_id", Uuid, nullable=False),
    Column("plan_name", String(200), nullable=False),
    Column("source", String(20), nullable=False),
    Column("tier_key", String(63), nullable=True),
    Column("grant_key", String(200), nullable=True),
    Column("service_ids", Document, nullable=False),
    Column("access_grants", Document, nullable=False),
    Column("sessions_granted", Integer, nullable=False),
    Column("sessions_reserved", Integer, nullable=False),
    Column("sessions_used", Integer, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("sessions_until", UtcDateTime, nullable=True),
    Column("access_until", UtcDateTime, nullable=True),
    Column("status", String(20), nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("carried_from", Uuid, nullable=True),  # the previous period's grant whose leftovers it carries
    # One grant per tier inclusion and period, however many timers or retries try.
    UniqueConstraint("clinic_id", "grant_key", name="uq_enrollments_grant"),
    Index("ix_enrollments_patient", "clinic_id", "patient_id"),
    Index("ix_enrollments_status", "status"),
    Index("ix_enrollments_carried_from", "clinic_id", "carried_from"),
)

# One per visit that holds (or held) a session of an enrollment, under the appointment it was booked
# as (the first of its reschedule chain).
reservations = Table(
    "reservations",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("appointment_id", Uuid, primary_key=True),
    Column("id", Uuid, nullable=False),
    Column("enrollment_id", Uuid, nullable=False),
    Column("patient_id", Uuid, nullable=False),
    Column("status", String(20), nullable=False),
    Column("reserved_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
    Column("released_reason", String(40), nullable=True),
    Index("ix_reservations_status_expiry", "status", "expires_at"),
    Index("ix_reservations_enrollment", "clinic_id", "enrollment_id"),
)

# -- usage meters ---------------------------------------------------------------------------------

# The things a counted meter counts (specialists, locations), one row each at the highest version
# seen, so a redelivered or late snapshot never counts twice. Patients are counted from
# care_patients, staff users from role_assignments.
metered_entities = Table(
    "metered_entities",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("meter", String(20), primary_key=True),
    Column("entity_id", Uuid, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("counted", Boolean, nullable=False),
)

# One row per completed video consultation: its minutes, in the billing period it ended in.
video_minutes_used = Table(
    "video_minutes_used",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("appointment_id", Uuid, primary_key=True),
    Column("period", String(7), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
    Index("ix_video_minutes_used_period", "clinic_id", "period"),
)

# What a consultation's minutes took from an until-consumed pack of video minutes.
usage_pack_draws = Table(
    "usage_pack_draws",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("item_id", Uuid, primary_key=True),
    Column("appointment_id", Uuid, primary_key=True),
    Column("period", String(7), nullable=False),
    Column("minutes", Integer, nullable=False),
)
