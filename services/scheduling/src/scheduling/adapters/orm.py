"""Scheduling's tables."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, Uuid

from clinic_runtime.db import UtcDateTime

metadata = MetaData()

# -- read models of catalog (kept from its events; never written otherwise) --------------------

clinic_directory = Table(
    "clinic_directory",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("slug", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("locale", String(35), nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("cancellation_window_hours", Integer, nullable=False),
    Column("refund_policy_kind", String(16), nullable=False),
    Column("refund_policy_percent", Integer, nullable=True),
    Column("refund_policy_text", Text, nullable=False),
)

provider_directory = Table(
    "provider_directory",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("location_ids", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

service_directory = Table(
    "service_directory",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("service_id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("price_amount_minor", BigInteger, nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("buffer_before_minutes", Integer, nullable=False),
    Column("buffer_after_minutes", Integer, nullable=False),
    Column("provider_ids", JSON, nullable=False),
    Column("required_forms", JSON, nullable=False),
    Column("cancellation_window_hours", Integer, nullable=True),
    Column("refund_policy_kind", String(16), nullable=True),
    Column("refund_policy_percent", Integer, nullable=True),
    Column("refund_policy_text", Text, nullable=True),
    Column("remind_24h", Boolean, nullable=False),
    Column("remind_1h", Boolean, nullable=False),
    Column("minimum_notice_minutes", Integer, nullable=True),
    Column("booking_horizon_days", Integer, nullable=True),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

calendar_directory = Table(
    "calendar_directory",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("calendar_id", Uuid, primary_key=True),
    Column("service_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("price_amount_minor", BigInteger, nullable=True),
    Column("price_currency", String(3), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("hours", JSON, nullable=False),
    Column("bookable_from", Date, nullable=True),
    Column("bookable_until", Date, nullable=True),
    Column("minimum_notice_minutes", Integer, nullable=True),
    Column("booking_horizon_days", Integer, nullable=True),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_calendar_directory_service", "clinic_id", "service_id"),
)

# -- specialists' availability (scheduling's own; scheduling.adapters.availability) -------------

provider_availability = Table(
    "provider_availability",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),
)

availability_rules = Table(
    "availability_rules",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("weekday", Integer, nullable=False),
    Column("start_time", String(5), nullable=False),
    Column("end_time", String(5), nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_until", Date, nullable=True),
    Column("location_id", Uuid, nullable=True),
)

availability_blackouts = Table(
    "availability_blackouts",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("day", Date, primary_key=True),
)

availability_away = Table(
    "availability_away",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("away_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_availability_away_provider", "clinic_id", "provider_id"),
)

availability_overrides = Table(
    "availability_overrides",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("override_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, nullable=False),
    Column("day", Date, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("start_time", String(5), nullable=True),
    Column("end_time", String(5), nullable=True),
    Column("note", Text, nullable=False),
    Index("ix_availability_overrides_provider", "clinic_id", "provider_id"),
)

# -- patients, appointments and the audit trail (scheduling.adapters.patients, .appointments) ---

patients = Table(
    "patients",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("patient_id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False),  # casefolded, for lookups
    Column("mobile", String(20), nullable=True),
    Column("sms_consent_given", Boolean, nullable=True),
    Column("sms_consent_recorded_at", UtcDateTime, nullable=True),
    Column("sms_consent_text_version", String(64), nullable=True),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_patients_email", "clinic_id", "email_key"),
    Index("ix_patients_account", "clinic_id", "account_id"),
)

appointments = Table(
    "appointments",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("appointment_id", Uuid, primary_key=True),
    Column("patient_id", Uuid, nullable=False),
    Column("provider_id", Uuid, nullable=False),
    Column("service_id", Uuid, nullable=False),
    Column("calendar_id", Uuid, nullable=True),
    Column("location_id", Uuid, nullable=True),
    Column("start_at", UtcDateTime, nullable=False),
    Column("end_at", UtcDateTime, nullable=False),
    Column("buffer_before_minutes", Integer, nullable=False),
    Column("buffer_after_minutes", Integer, nullable=False),
    # start - buffer before and end + buffer after: the time no other appointment may take.
    Column("occupied_from", UtcDateTime, nullable=False),
    Column("occupied_until", UtcDateTime, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("price_amount_minor", BigInteger, nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("enrollment_id", Uuid, nullable=True),
    Column("hold_expires_at", UtcDateTime, nullable=True),
    Column("booked_by_kind", String(16), nullable=False),
    Column("booked_by_account_id", Uuid, nullable=True),
    Column("sms_consent", Boolean, nullable=True),
    Column("rescheduled_from", Uuid, nullable=True),
    Column("rescheduled_to", Uuid, nullable=True),
    Column("original_appointment_id", Uuid, nullable=True),  # the first of its reschedule chain
    Column("payment_id", Uuid, nullable=True),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Column("video_provider", String(16), nullable=True),
    Column("video_meeting_id", String(200), nullable=True),
    Column("video_join_url", Text, nullable=True),
    Column("video_host_url", Text, nullable=True),
    Column("meeting_due", String(8), nullable=True),
    Column("meeting_claimed_until", UtcDateTime, nullable=True),
    Column("meeting_claim", Uuid, nullable=True),  # which run of the meetings job holds the lease
    Column("cancellation_reason", Text, nullable=True),
    Column("canceled_by_kind", String(16), nullable=True),
    Column("canceled_by_account_id", Uuid, nullable=True),
    Column("canceled_within_policy", Boolean, nullable=True),
    Column("expired_reason", String(16), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_appointments_start", "clinic_id", "start_at", "appointment_id"),
    Index("ix_appointments_provider_time", "clinic_id", "provider_id", "occupied_from"),
    Index("ix_appointments_patient", "clinic_id", "patient_id"),
    Index("ix_appointments_hold", "status", "hold_expires_at"),
    Index("ix_appointments_meeting_due", "meeting_due"),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("entry_id", Uuid, primary_key=True),
    Column("appointment_id", Uuid, nullable=True),
    Column("patient_id", Uuid, nullable=True),
    Column("provider_id", Uuid, nullable=True),  # the specialist whose availability changed
    Column("actor_kind", String(16), nullable=False),
    Column("actor_account_id", Uuid, nullable=True),
    Column("action", String(40), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Index("ix_audit_entries_appointment", "clinic_id", "appointment_id"),
    Index("ix_audit_entries_patient", "clinic_id", "patient_id"),
    Index("ix_audit_entries_provider", "clinic_id", "provider_id"),
)
