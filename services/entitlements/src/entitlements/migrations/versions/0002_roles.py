"""Clinic-defined roles, role assignments and the access audit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from clinic_runtime.db import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _document() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "roles",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("key", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("grants", _document(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "role_assignments",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("principal_id", sa.Uuid(), primary_key=True),
        sa.Column("role_key", sa.String(63), primary_key=True),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_role_assignments_role", "role_assignments", ["clinic_id", "role_key"])
    op.create_table(
        "access_audit",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("before", _document(), nullable=True),
        sa.Column("after", _document(), nullable=True),
    )
    op.create_index("ix_access_audit_clinic_at", "access_audit", ["clinic_id", "at"])


def downgrade() -> None:
    op.drop_table("access_audit")
    op.drop_table("role_assignments")
    op.drop_table("roles")
