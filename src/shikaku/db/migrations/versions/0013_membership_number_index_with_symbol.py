"""eligibility: the symbol-less look-up index carries the symbol as its last column

``ix_membership_branch_number (branch_code, number, branch_no)`` serves look-ups without the
記号. 番号 is the member's number within one employer's 記号, so the three columns match every
employer's member with that number (about 200 rows per key at a million members, thousands
nationally), but PostgreSQL's planner multiplies the columns' selectivities, estimates one row,
and ties the index with the unique key (branch_code, symbol, number, branch_no). For the
coalesced key look-up (``unnest`` joined to membership) it chose this index and filtered the
symbol afterwards: 68 buffers per key instead of 4, 111 µs per key instead of 25 in batches of
16 (bench/README.md). With the symbol as a fourth column either index answers a key look-up
with one entry, and a symbol-less look-up still uses the first three columns.

On PostgreSQL the new index is built CONCURRENTLY under a temporary name, the old one dropped
and the new one renamed (shikaku.db.online), so writes to membership go on during the build.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 15:10:00.000000
"""

from __future__ import annotations

from shikaku.db import online

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NAME = "ix_membership_branch_number"


def upgrade() -> None:
    online.replace_index(NAME, "membership", ["branch_code", "number", "branch_no", "symbol"])


def downgrade() -> None:
    online.replace_index(NAME, "membership", ["branch_code", "number", "branch_no"])
