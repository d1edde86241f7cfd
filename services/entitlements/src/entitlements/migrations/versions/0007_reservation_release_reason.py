"""Why a reservation was released. A cancellation is final: a late `confirmed` or `rescheduled`
event for a canceled appointment (events may arrive in any order) must not take its session again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: reservations released before this revision keep no reason, as before.
    op.add_column("reservations", sa.Column("released_reason", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reservations") as table:
        table.drop_column("released_reason")
