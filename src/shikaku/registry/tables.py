"""Registry tables (SQLAlchemy Core). Other features reach them only through registry.service."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shikaku.db.meta import metadata

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")

insurer = Table(
    "insurer",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("law_code", String(2), nullable=False),
    Column("name_ja", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
)

branch = Table(
    "branch",
    metadata,
    Column("code", String(2), primary_key=True, comment="JIS prefecture code"),
    Column("insurer_id", Integer, ForeignKey("insurer.id"), nullable=False),
    Column("insurer_number", String(8), nullable=False, unique=True),
    Column("name_ja", String(40), nullable=False),
    Column("name_en", String(40), nullable=False),
    Column("prefecture_ja", String(10), nullable=False),
)

employer = Table(
    "employer",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("branch_code", String(2), ForeignKey("branch.code"), nullable=False),
    Column("symbol", String(8), nullable=False, comment="記号: 7-8 digits"),
    Column("name", String(200), nullable=False),
    Column("name_kana", String(200)),
    Column("postal_code", String(7)),
    Column("address", String(300)),
    Column("phone", String(20)),
    UniqueConstraint("branch_code", "symbol"),
)

person = Table(
    "person",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("family_name", String(60), nullable=False),
    Column("given_name", String(60), nullable=False),
    Column("family_name_kana", String(120), nullable=False),
    Column("given_name_kana", String(120), nullable=False),
    Column("sex", SmallInteger, nullable=False, comment="OQSCD007: 1 male, 2 female, 3 not set"),
    Column("birth_date", Date, nullable=False),
    Column("postal_code", String(7)),
    Column("address", String(300)),
    Column("preferred_language", String(10), nullable=False, server_default="ja"),
    Column("foreign_resident", Boolean, nullable=False, server_default="0"),
    Column("stay_until", Date, comment="end of a foreign resident's period of stay"),
    Column("restricted", Boolean, nullable=False, server_default="0", comment="DV etc."),
    Column("care_needs", Boolean, nullable=False, server_default="0", comment="要配慮者 applied"),
    CheckConstraint("sex in (1, 2, 3)", name="sex_code"),
)

membership = Table(
    "membership",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),
    Column("employer_id", BigInteger, ForeignKey("employer.id"), nullable=False),
    Column("branch_code", String(2), ForeignKey("branch.code"), nullable=False),
    Column("symbol", String(8), nullable=False),
    Column("number", String(8), nullable=False, comment="番号 without leading zeros"),
    Column("branch_no", String(2), nullable=False, comment="枝番, 2 digits"),
    Column("relationship", SmallInteger, nullable=False, comment="OQSCD009: 1 insured, 2 family"),
    Column("insured_person_id", BigInteger, ForeignKey("person.id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, comment="last day of membership; NULL while open"),
    Column("loss_reason", String(2), comment="OQSCD008 or 99"),
    Column("voluntary", Boolean, nullable=False, server_default="0", comment="任意継続"),
    Column("standard_monthly_remuneration", Integer, comment="標準報酬月額 (insured persons)"),
    Column("enrolment_requested_certificate", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("branch_code", "symbol", "number", "branch_no"),
    CheckConstraint("relationship in (1, 2)", name="relationship_code"),
)
# A person's memberships; branch, 番号 and 枝番 ride along so that an eligibility look-up without
# the 記号 filters each candidate's memberships in the index (migration 0016, ADR 0005).
Index(
    "ix_membership_person",
    membership.c.person_id,
    membership.c.branch_code,
    membership.c.number,
    membership.c.branch_no,
)
Index("ix_membership_insured_person", membership.c.insured_person_id)
Index("ix_membership_employer", membership.c.employer_id)

my_number = Table(
    "my_number",
    metadata,
    Column("person_id", BigInteger, ForeignKey("person.id"), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False, comment="AES-GCM: nonce || ct || tag"),
    Column("key_id", String(16), nullable=False),
    Column(
        "blind_index",
        LargeBinary(32),
        nullable=False,
        unique=True,
        comment="HMAC-SHA256 for exact-match lookup without decrypting",
    ),
    Column("last4", String(4), nullable=False),
)

myna_status = Table(
    "myna_status",
    metadata,
    Column("person_id", BigInteger, ForeignKey("person.id"), primary_key=True),
    Column("card_held", Boolean, nullable=False),
    Column("card_returned", Boolean, nullable=False, server_default="0"),
    Column("insurance_registered", Boolean, nullable=False),
    Column("registration_cancelled", Boolean, nullable=False, server_default="0"),
    Column("ecert_expiry", Date),
    Column("card_key", String(64), unique=True, comment="opaque e-certificate serial stand-in"),
    Column("as_of", Date, nullable=False),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(60), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("branch_code", String(2), ForeignKey("branch.code")),
)

audit_event = Table(
    "audit_event",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject_type", String(30), nullable=False),
    Column("subject_id", String(60)),
    Column("branch_code", String(2)),
    Column("detail", Text, comment="JSON; never a My Number or a full name"),
)
Index("ix_audit_event_subject", audit_event.c.subject_type, audit_event.c.subject_id)

import_run = Table(
    "import_run",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("rows_applied", Integer, nullable=False, server_default="0"),
    Column("rows_unchanged", Integer, nullable=False, server_default="0"),
    Column("rows_rejected", Integer, nullable=False, server_default="0"),
    UniqueConstraint("kind", "sha256"),
)
