"""Eligibility tables: clinic clients (API keys, hashed) and the hash-chained audit log.

The audit log is append-only: the migration adds triggers that refuse UPDATE and DELETE, and
every row carries ``hash = sha256(prev_hash || canonical row)`` so that ``shikaku audit verify``
detects an edited or deleted row even when someone bypassed the triggers.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
)

from shikaku.db.meta import metadata
from shikaku.registry.tables import person

eligibility_client = Table(
    "eligibility_client",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("institution_code", String(10), nullable=False, comment="医療機関コード, 10 digits"),
    Column("name", String(200), nullable=False),
    Column("key_prefix", String(16), nullable=False, comment="first characters, for display"),
    Column("key_hash", String(64), nullable=False, unique=True, comment="sha256 of the API key"),
    Column("scopes", String(100), nullable=False, comment="space-separated"),
    Column("rate_per_second", Integer, nullable=False, server_default="20"),
    Column("burst", Integer, nullable=False, server_default="40"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)
Index("ix_eligibility_client_institution", eligibility_client.c.institution_code)

eligibility_audit = Table(
    "eligibility_audit",
    metadata,
    # INTEGER PRIMARY KEY on SQLite: seq is the rowid, so appends touch only the rightmost leaf.
    Column(
        "seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("at", DateTime(timezone=True), nullable=False, comment="UTC"),
    Column("client_id", Integer, nullable=False),
    Column("institution_code", String(10), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("request_id", String(32), nullable=False),
    Column("membership_id", BigInteger, comment="the member answered about; NULL if none"),
    Column("service_date", Date),
    Column("validity", SmallInteger, comment="OQSCD006; NULL when the query was refused"),
    Column("document_kind", String(12)),
    Column("document_rule", String(40)),
    Column("acceptable", Boolean),
    Column("outcome", String(40), nullable=False, comment="ok or the validation rule id"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    comment="append-only, hash-chained; never a name, a birth date or a My Number",
)
# No secondary index on purpose: random index inserts cost ~3x the append itself at 10,000
# rows/s. "Who looked at member X" is an investigation, run on a copy (see docs/eligibility.md).

# Look-ups without the 記号 (symbol omitted) give 番号, 枝番 and the date of birth. 番号 is numbered
# per employer, so (branch, 番号, 枝番) matches one member of nearly every employer in the branch;
# the people born that day are a small, fixed share of the population whatever the branch's
# size, so those look-ups start from them (migration 0014, repo.SQL_BY_NUMBER; the index on
# (branch, 番号, 枝番, 記号) they used before was dropped by migration 0015). The id is part of
# the index (migration 0016) so that PostgreSQL lists the candidates without reading person.
ix_person_birth_date = Index("ix_person_birth_date", person.c.birth_date, person.c.id)
