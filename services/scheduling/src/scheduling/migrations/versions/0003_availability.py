"""Specialists' availability: weekly rules, blackout dates, away ranges and one-off overrides of a
day, with one version per specialist and clinic.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_availability",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("provider_id", sa.Uuid(), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "availability_rules",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("provider_id", sa.Uuid(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.String(5), nullable=False),
        sa.Column("end_time", sa.String(5), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
    )
    op.create_table(
        "availability_blackouts",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("provider_id", sa.Uuid(), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
    )
    op.create_table(
        "availability_away",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("away_id", sa.Uuid(), primary_key=True),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_availability_away_provider", "availability_away", ["clinic_id", "provider_id"])
    op.create_table(
        "availability_overrides",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("override_id", sa.Uuid(), primary_key=True),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("start_time", sa.String(5), nullable=True),
        sa.Column("end_time", sa.String(5), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_availability_overrides_provider", "availability_overrides", ["clinic_id", "provider_id"])


def downgrade() -> None:
    op.drop_index("ix_availability_overrides_provider", table_name="availability_overrides")
    op.drop_index("ix_availability_away_provider", table_name="availability_away")
    for table in ("availability_overrides", "availability_away", "availability_blackouts", "availability_rules",
                  "provider_availability"):
        op.drop_table(table)
