"""The commercial model: platform plans and their versions, clinic subscriptions, sales overrides,
capability clearances and per-clinic pauses.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from clinic_runtime.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _document() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _terms_columns() -> list[sa.Column]:
    return [
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("features", _document(), nullable=False),
        sa.Column("limits", _document(), nullable=False),
        sa.Column("price_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("price_currency", sa.String(3), nullable=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("pack_validity", sa.String(20), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "platform_plans",
        sa.Column("key", sa.String(63), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "plan_versions",
        sa.Column("plan_key", sa.String(63), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        *_terms_columns(),
        sa.Column("available_with", _document(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=True),
    )
    op.create_table(
        "subscriptions",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "subscription_items",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("plan_key", sa.String(63), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        *_terms_columns(),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "entitlement_overrides",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("features", _document(), nullable=False),
        sa.Column("limits", _document(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=False),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "capability_clearances",
        sa.Column("capability", sa.String(40), primary_key=True),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
    )
    op.create_table(
        "capability_pauses",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("capability", sa.String(40), primary_key=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("expected_until", UtcDateTime(), nullable=True),
        sa.Column("paused_at", UtcDateTime(), nullable=False),
        sa.Column("paused_by", sa.Uuid(), nullable=True),
    )


def downgrade() -> None:
    for table in ("capability_pauses", "capability_clearances", "entitlement_overrides", "subscription_items",
                  "subscriptions", "plan_versions", "platform_plans"):
        op.drop_table(table)
