"""Each appointment made by a reschedule names the first appointment of its chain (the one the
visit was booked as), so the services that keep something about the visit (entitlements: the
enrollment session it holds) key it by one id whatever order the chain's events arrive in.

Not filled in for appointments rescheduled before this revision: other services know those
visits by the appointment their last event named, which is what a missing value tells them.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("appointments", sa.Column("original_appointment_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments") as table:
        table.drop_column("original_appointment_id")
