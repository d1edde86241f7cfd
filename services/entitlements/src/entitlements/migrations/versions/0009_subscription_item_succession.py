"""A migrated subscription item is no longer rewritten: it ends, and a new item on the newer terms
takes over from it (`replaces`), charged from where what the old one was charged for ends
(`charged_from`), so past bills and past entitlements stay as they were.

Items stored before this revision are charged from their start, as before; an item migrated
before it keeps the terms it was rewritten to.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscription_items", sa.Column("replaces", sa.Uuid(), nullable=True))
    op.add_column("subscription_items", sa.Column("charged_from", UtcDateTime(), nullable=True))
    op.execute("UPDATE subscription_items SET charged_from = started_at")
    with op.batch_alter_table("subscription_items") as table:
        table.alter_column("charged_from", existing_type=UtcDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("subscription_items") as table:
        table.drop_column("charged_from")
        table.drop_column("replaces")
