"""issuance: index mail pieces by wave and household

Prepare links each target to its household's piece with a look-up by (wave, insured person);
without this index the look-up scanned the wave's pieces once per target, which made preparing
a large branch quadratic.

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


def downgrade() -> None:
    op.drop_index("ix_mail_piece_wave_insured", table_name="mail_piece")
