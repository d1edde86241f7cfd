"""Each tier membership keeps where its run of periods counts from, so that every period ends a
whole number of periods after it: a monthly tier joined on 31 January renews on 28 February and
then on 31 March, where counting each period from the end of the last drifted to the 28th.

Memberships stored before this revision count from the start of their current period.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tier_memberships", sa.Column("period_anchor", UtcDateTime(), nullable=True))
    op.execute("UPDATE tier_memberships SET period_anchor = period_start")
    with op.batch_alter_table("tier_memberships") as table:
        table.alter_column("period_anchor", existing_type=UtcDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("tier_memberships") as table:
        table.drop_column("period_anchor")
