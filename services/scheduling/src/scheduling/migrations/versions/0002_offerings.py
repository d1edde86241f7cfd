"""Read models of catalog's providers, services and booking calendars; the clinic's default
cancellation window and refund policy in the clinic directory.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Clinics held already get the defaults catalog.clinic.upserted.v1 gives these fields, until
    # the clinic's next change brings its own.
    with op.batch_alter_table("clinic_directory") as table:
        table.add_column(sa.Column("cancellation_window_hours", sa.Integer(), nullable=False, server_default="24"))
        table.add_column(sa.Column("refund_policy_kind", sa.String(16), nullable=False, server_default="full"))
        table.add_column(sa.Column("refund_policy_percent", sa.Integer(), nullable=True))
        table.add_column(sa.Column("refund_policy_text", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "provider_directory",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("provider_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("location_ids", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "service_directory",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("service_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("provider_ids", sa.JSON(), nullable=False),
        sa.Column("required_forms", sa.JSON(), nullable=False),
        sa.Column("cancellation_window_hours", sa.Integer(), nullable=True),
        sa.Column("refund_policy_kind", sa.String(16), nullable=True),
        sa.Column("refund_policy_percent", sa.Integer(), nullable=True),
        sa.Column("refund_policy_text", sa.Text(), nullable=True),
        sa.Column("remind_24h", sa.Boolean(), nullable=False),
        sa.Column("remind_1h", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "calendar_directory",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("calendar_id", sa.Uuid(), primary_key=True),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("price_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("price_currency", sa.String(3), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("bookable_from", sa.Date(), nullable=True),
        sa.Column("bookable_until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_calendar_directory_service", "calendar_directory", ["clinic_id", "service_id"])


def downgrade() -> None:
    op.drop_index("ix_calendar_directory_service", table_name="calendar_directory")
    for table in ("calendar_directory", "service_directory", "provider_directory"):
        op.drop_table(table)
    with op.batch_alter_table("clinic_directory") as table:
        for column in ("refund_policy_text", "refund_policy_percent", "refund_policy_kind", "cancellation_window_hours"):
            table.drop_column(column)
