"""issuance/mail: make a mail piece's status moves heap-only updates on PostgreSQL

``status`` is the column every lifecycle step writes (printed, posted, returned, re-routed, …),
usually for thousands of pieces at once. PostgreSQL can update a row without touching any index
(a heap-only tuple) only when no indexed column changes and the new version fits on the same
page. Both were false: ``status`` was in two indexes, and pages were filled to the brim. So
every move wrote a new entry into each of the table's seven indexes, at random places — on the
benchmark data four times the cost of the move itself.

- The two (…, status) indexes go. No query needs them: the wave and batch steps find their
  pieces by (wave, insured person) and batch id, the returns and re-routing steps by piece id,
  and the status and reconcile reports read whole branches or waves.
- PostgreSQL leaves half of each page free (fillfactor 50), so that a whole page of pieces can
  move at once and the space is reclaimed (pruned) before the next move. This applies to pages
  written from now on; an existing table takes it on with ``VACUUM FULL mail_piece`` (or
  pg_repack) in a quiet hour.

See decision 0009.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FILLFACTOR = 50


def upgrade() -> None:
    op.drop_index("ix_mail_piece_branch_status", table_name="mail_piece")
    op.drop_index("ix_mail_piece_wave_status", table_name="mail_piece")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE mail_piece SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE mail_piece RESET (fillfactor)")
    op.create_index("ix_mail_piece_wave_status", "mail_piece", ["wave_id", "status"])
    op.create_index("ix_mail_piece_branch_status", "mail_piece", ["branch_code", "status"])
