"""Usage meters: the specialists and locations each clinic has, the video minutes its
consultations used per billing period, and what those minutes took from until-consumed packs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metered_entities",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("meter", sa.String(20), primary_key=True),
        sa.Column("entity_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "video_minutes_used",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("appointment_id", sa.Uuid(), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_video_minutes_used_period", "video_minutes_used", ["clinic_id", "period"])
    op.create_table(
        "usage_pack_draws",
        sa.Column("clinic_id", sa.Uuid(), primary_key=True),
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("appointment_id", sa.Uuid(), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("usage_pack_draws")
    op.drop_index("ix_video_minutes_used_period", table_name="video_minutes_used")
    op.drop_table("video_minutes_used")
    op.drop_table("metered_entities")
