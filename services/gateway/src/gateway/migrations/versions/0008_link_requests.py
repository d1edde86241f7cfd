"""Links asked for per address and purpose: an address is mailed at most one link of a kind
every few minutes, whoever asks.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_requests",
        sa.Column("address_digest", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(32), primary_key=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_requests")
