"""Patient care: the patients and service plans entitlements keeps from other services' events,
the clinic's patient tiers and who is on them, service-plan enrollments and their reservations.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from clinic_runtime.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _document() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "care_patients",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("patient_id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_care_patients_account", "care_patients", ["account_id", "clinic_id"])
    op.create_table(
        "service_plans",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("plan_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=True),
        sa.Column("session_validity", _document(), nullable=True),
        sa.Column("period", _document(), nullable=True),
        sa.Column("access_window", _document(), nullable=True),
        sa.Column("service_ids", _document(), nullable=False),
        sa.Column("access_grants", _document(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "patient_tiers",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("key", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role_key", sa.String(63), nullable=False),
        sa.Column("period", _document(), nullable=False),
        sa.Column("price_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("price_currency", sa.String(3), nullable=True),
        sa.Column("inclusions", _document(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "tier_memberships",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("patient_id", sa.Uuid(), primary_key=True),
        sa.Column("tier_key", sa.String(63), nullable=False),
        sa.Column("period_start", UtcDateTime(), nullable=False),
        sa.Column("period_end", UtcDateTime(), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_tier_memberships_period_end", "tier_memberships", ["period_end"])
    op.create_table(
        "enrollments",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("plan_name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("tier_key", sa.String(63), nullable=True),
        # Names the tier period an enrollment was granted for: one grant per inclusion and period,
        # however many timers or retries try (NULLs never collide, so purchases are unconstrained).
        sa.Column("grant_key", sa.String(200), nullable=True),
        sa.Column("service_ids", _document(), nullable=False),
        sa.Column("access_grants", _document(), nullable=False),
        sa.Column("sessions_granted", sa.Integer(), nullable=False),
        sa.Column("sessions_reserved", sa.Integer(), nullable=False),
        sa.Column("sessions_used", sa.Integer(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("sessions_until", UtcDateTime(), nullable=True),
        sa.Column("access_until", UtcDateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("clinic_id", "grant_key", name="uq_enrollments_grant"),
    )
    op.create_index("ix_enrollments_patient", "enrollments", ["clinic_id", "patient_id"])
    op.create_index("ix_enrollments_status", "enrollments", ["status"])
    op.create_table(
        "reservations",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("appointment_id", sa.Uuid(), primary_key=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reserved_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("settled_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_reservations_status_expiry", "reservations", ["status", "expires_at"])
    op.create_index("ix_reservations_enrollment", "reservations", ["clinic_id", "enrollment_id"])


def downgrade() -> None:
    for index, table in (("ix_reservations_enrollment", "reservations"),
                         ("ix_reservations_status_expiry", "reservations"),
                         ("ix_enrollments_status", "enrollments"), ("ix_enrollments_patient", "enrollments"),
                         ("ix_tier_memberships_period_end", "tier_memberships"),
                         ("ix_care_patients_account", "care_patients")):
        op.drop_index(index, table_name=table)
    for table in ("reservations", "enrollments", "tier_memberships", "patient_tiers", "service_plans",
                  "care_patients"):
        op.drop_table(table)
