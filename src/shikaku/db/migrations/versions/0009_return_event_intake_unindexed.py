"""mail: drop the index on return_event.intake_ref

An intake finds the returns it has just recorded by (piece, trip), which the unique constraint
already indexes; ``intake_ref`` only narrows that join. Its index cost every recorded return an
extra index entry (decision 0009).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 10:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_return_event_intake", table_name="return_event")


def downgrade() -> None:
    op.create_index("ix_return_event_intake", "return_event", ["intake_ref"])
