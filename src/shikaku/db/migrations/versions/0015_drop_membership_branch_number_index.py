"""eligibility: drop the symbol-less index that no statement needs any more

``ix_membership_branch_number (branch_code, number, branch_no, symbol)`` served look-ups without
the 記号 until migration 0014 made them start from the date of birth. Nothing reads through it
now: key look-ups use the registry's unique key (branch_code, symbol, number, branch_no), which
PostgreSQL's planner can no longer confuse with this index (the cause of migration 0013), and
the desk probes that key per branch. While it existed the planner could also take it inside the
symbol-less look-up's per-person subquery (seen in bench/bench_symbolless.py: 18 ms a look-up
instead of 0.8 ms at a million members). Dropping it spares every membership insert and update
an index the size of the table (tens of millions of entries nationally). On PostgreSQL the
index is dropped CONCURRENTLY and the downgrade builds it CONCURRENTLY (shikaku.db.online).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 23:00:00.000000
"""

from __future__ import annotations

from shikaku.db import online

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NAME = "ix_membership_branch_number"


def upgrade() -> None:
    online.drop_index(NAME, "membership")


def downgrade() -> None:
    online.create_index(NAME, "membership", ["branch_code", "number", "branch_no", "symbol"])
