"""Appointments: whose claim the meetings job's lease is (`meeting_claim`), so a job whose lease
ran out and was taken over records nothing.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments") as table:
        table.add_column(sa.Column("meeting_claim", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments") as table:
        table.drop_column("meeting_claim")
