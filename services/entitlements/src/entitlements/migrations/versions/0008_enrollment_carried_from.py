"""A tier period's grant names the previous period's grant whose leftovers it carries, so that a
session given back to that one after the renewal (a visit cancelled, a hold abandoned) goes on to
where its leftovers went instead of lapsing on a grant that has ended.

Grants renewed before this revision name none: a session given back to their predecessor stays
there, as before.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("enrollments", sa.Column("carried_from", sa.Uuid(), nullable=True))
    op.create_index("ix_enrollments_carried_from", "enrollments", ["clinic_id", "carried_from"])


def downgrade() -> None:
    op.drop_index("ix_enrollments_carried_from", table_name="enrollments")
    with op.batch_alter_table("enrollments") as table:
        table.drop_column("carried_from")
