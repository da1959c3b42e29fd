"""eligibility: an index on the date of birth for look-ups without the 記号

A look-up without the symbol gives 番号・枝番 and the date of birth. 番号 is numbered within each
employer's 記号, so (branch, 番号, 枝番) matches one member of nearly every employer in the branch:
about 200 rows per key at a million members, hundreds of thousands in a large branch at national
scale, each checked against the person's date of birth. Starting from the date of birth instead
reads the people born that day (about 1/29,000 of the population: ~35 at a million members,
~1,400 at 40 million) and their memberships by person (ix_membership_person), whatever the
branch's size (shikaku.eligibility.repo.SQL_BY_NUMBER; bench/README.md).

On PostgreSQL the index is built CONCURRENTLY (shikaku.db.online): writes to person go on
during the build (about a minute on tens of millions of rows).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 22:20:00.000000
"""

from __future__ import annotations

from shikaku.db import online

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

NAME = "ix_person_birth_date"


def upgrade() -> None:
    online.create_index(NAME, "person", ["birth_date"])


def downgrade() -> None:
    online.drop_index(NAME, "person")
