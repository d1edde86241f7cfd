"""A sign-up no longer keeps its address's folded key nor when it was made: its link's token
holds its time, and the address is folded when the link is used.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_sign_ups_email_key", table_name="sign_ups")
    with op.batch_alter_table("sign_ups") as table:
        table.drop_column("email_key")
        table.drop_column("created_at")


def downgrade() -> None:
    # Sign-ups waiting now have neither: they sign up again, as the ones before 0006 did.
    op.execute("DELETE FROM sign_ups")
    with op.batch_alter_table("sign_ups") as table:
        table.add_column(sa.Column("email_key", sa.String(254), nullable=False))
        table.add_column(sa.Column("created_at", UtcDateTime(), nullable=False))
    op.create_index("ix_sign_ups_email_key", "sign_ups", ["email_key"])
