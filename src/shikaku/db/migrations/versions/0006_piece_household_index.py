"""issuance: index mail pieces by wave and household, and by print batch

Prepare links each target to its household's piece with a look-up by (wave, insured person);
without an index the look-up scanned the wave's pieces once per target, which made preparing
a large branch quadratic. Recording a rendered batch moves its pieces by batch id.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 04:05:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_mail_piece_wave_insured", "mail_piece", ["wave_id", "insured_person_id"])
    op.create_index("ix_mail_piece_batch", "mail_piece", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_mail_piece_batch", table_name="mail_piece")
    op.drop_index("ix_mail_piece_wave_insured", table_name="mail_piece")
