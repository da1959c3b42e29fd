"""eligibility: a look-up without the 記号 reads indexes only until it has found the member

Since migration 0014 such a look-up lists the people born on the given day and probes each
one's memberships for the branch, 番号 and 枝番 (shikaku.eligibility.repo.SQL_BY_NUMBER). It
read every candidate's person row (PostgreSQL: the index held no id) and membership rows (the
index on person_id held no branch, 番号 or 枝番) to reject nearly all of them: ~80 table reads
per look-up at a million members, ~2,800 at 40 million, most of them random pages.

``ix_person_birth_date`` becomes (birth_date, id) and ``ix_membership_person`` becomes
(person_id, branch_code, number, branch_no), so the candidates are listed and rejected inside
the two indexes and only the member found is read from the tables (bench/README.md). Other
readers of ix_membership_person (the Myna-card and "newer membership" look-ups) use its first
column as before.

On PostgreSQL each index is rebuilt CONCURRENTLY under a temporary name and swapped in
(shikaku.db.online), so the registry takes writes throughout.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 00:45:00.000000
"""

from __future__ import annotations

from shikaku.db import online

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    online.replace_index("ix_person_birth_date", "person", ["birth_date", "id"])
    online.replace_index(
        "ix_membership_person", "membership", ["person_id", "branch_code", "number", "branch_no"]
    )


def downgrade() -> None:
    online.replace_index("ix_membership_person", "membership", ["person_id"])
    online.replace_index("ix_person_birth_date", "person", ["birth_date"])
