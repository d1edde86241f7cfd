"""Patients, appointments (holds included) and the audit trail of staff changes.

On PostgreSQL an exclusion constraint keeps any two appointments of one specialist that hold
time from overlapping, buffers included: the database itself refuses a double booking, whatever
the application checked before. Its predicate can only read the row (no `now()`), so a hold past
`hold_expires_at` still counts until it is expired (the booking path expires overdue holds it
meets, and the worker expires the rest). SQLite has no such constraint: there every write
transaction starts with BEGIN IMMEDIATE (clinic_runtime.db), so the booking path's check and
insert run alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The statuses of appointments that hold time (scheduling.domain.appointments.HOLDING_TIME).
NO_OVERLAP = (
    "ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist "
    "(clinic_id WITH =, provider_id WITH =, tstzrange(occupied_from, occupied_until, '[)') WITH &&) "
    "WHERE (status IN ('pending_payment', 'paid', 'completed', 'no_show'))"
)


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("patient_id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),  # casefolded, for lookups
        sa.Column("mobile", sa.String(20), nullable=True),
        sa.Column("sms_consent_given", sa.Boolean(), nullable=True),
        sa.Column("sms_consent_recorded_at", UtcDateTime(), nullable=True),
        sa.Column("sms_consent_text_version", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_patients_email", "patients", ["clinic_id", "email_key"])
    op.create_index("ix_patients_account", "patients", ["clinic_id", "account_id"])

    op.create_table(
        "appointments",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("appointment_id", sa.Uuid(), primary_key=True),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("calendar_id", sa.Uuid(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("start_at", UtcDateTime(), nullable=False),
        sa.Column("end_at", UtcDateTime(), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        # start - buffer before and end + buffer after: the time no other appointment may take.
        sa.Column("occupied_from", UtcDateTime(), nullable=False),
        sa.Column("occupied_until", UtcDateTime(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("price_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column("hold_expires_at", UtcDateTime(), nullable=True),
        sa.Column("booked_by_kind", sa.String(16), nullable=False),
        sa.Column("booked_by_account_id", sa.Uuid(), nullable=True),
        sa.Column("sms_consent", sa.Boolean(), nullable=True),
        sa.Column("rescheduled_from", sa.Uuid(), nullable=True),
        sa.Column("rescheduled_to", sa.Uuid(), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.Column("video_provider", sa.String(16), nullable=True),
        sa.Column("video_meeting_id", sa.String(200), nullable=True),
        sa.Column("video_join_url", sa.Text(), nullable=True),
        sa.Column("video_host_url", sa.Text(), nullable=True),
        sa.Column("meeting_due", sa.String(8), nullable=True),
        sa.Column("meeting_claimed_until", UtcDateTime(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("canceled_by_kind", sa.String(16), nullable=True),
        sa.Column("canceled_by_account_id", sa.Uuid(), nullable=True),
        sa.Column("canceled_within_policy", sa.Boolean(), nullable=True),
        sa.Column("expired_reason", sa.String(16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_appointments_start", "appointments", ["clinic_id", "start_at", "appointment_id"])
    op.create_index("ix_appointments_provider_time", "appointments", ["clinic_id", "provider_id", "occupied_from"])
    op.create_index("ix_appointments_patient", "appointments", ["clinic_id", "patient_id"])
    op.create_index("ix_appointments_hold", "appointments", ["status", "hold_expires_at"])
    op.create_index("ix_appointments_meeting_due", "appointments", ["meeting_due"])

    op.create_table(
        "audit_entries",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("entry_id", sa.Uuid(), primary_key=True),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_account_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_audit_entries_appointment", "audit_entries", ["clinic_id", "appointment_id"])
    op.create_index("ix_audit_entries_patient", "audit_entries", ["clinic_id", "patient_id"])
    if op.get_bind().dialect.name == "postgresql":
        # btree_gist lets a GiST index compare the ids with = next to the time ranges' &&.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(NO_OVERLAP)


def downgrade() -> None:
    for index, table in (("ix_audit_entries_patient", "audit_entries"),
                         ("ix_audit_entries_appointment", "audit_entries"),
                         ("ix_appointments_meeting_due", "appointments"), ("ix_appointments_hold", "appointments"),
                         ("ix_appointments_patient", "appointments"),
                         ("ix_appointments_provider_time", "appointments"), ("ix_appointments_start", "appointments"),
                         ("ix_patients_account", "patients"), ("ix_patients_email", "patients")):
        op.drop_index(index, table_name=table)
    for table in ("audit_entries", "appointments", "patients"):
        op.drop_table(table)
