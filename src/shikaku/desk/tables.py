"""Inquiry-desk tables: the inquiry log, one row per contact an operator handled.

The member is kept as the typed 記号・番号・枝番 (canonical forms from
:mod:`shikaku.domain.ids.member`) and, when it matched exactly one membership, that
membership's id. Never a My Number: the service refuses 12-digit numbers in free text.
"""

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
    SmallInteger,
    String,
    Table,
    Text,
)

from shikaku.db.meta import metadata
from shikaku.registry.tables import BigId

inquiry = Table(
    "inquiry",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, comment="when the contact happened"),
    Column("day", Date, nullable=False, comment="date of the contact in Japan (JST)"),
    Column("hour", SmallInteger, nullable=False, comment="hour of the contact in Japan (JST)"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("operator", String(60), nullable=False),
    Column("channel", String(10), nullable=False, comment="phone / mail / web / counter"),
    Column("language", String(10), nullable=False, comment="configured language code served"),
    Column("requested_language", String(20), comment="code asked for when it fell back to ja"),
    Column("caller_type", String(10), nullable=False, comment="member / employer / clinic / other"),
    Column("category", String(40), nullable=False, comment="FAQ category or 'other'"),
    Column("faq_entry_id", String(60), comment="FAQ entry the answer came from"),
    Column("insurer_number", String(8)),
    Column("symbol", String(8), comment="記号"),
    Column("number", String(8), comment="番号 without leading zeros"),
    Column("branch_no", String(2), comment="枝番"),
    Column("membership_id", BigInteger, ForeignKey("membership.id")),
    Column("branch_code", String(2)),
    Column("interpreter_used", Boolean, nullable=False, server_default="0"),
    Column("outcome", String(12), nullable=False),
    Column("follow_up", Text),
    Column("follow_up_due", Date),
    Column("note", Text),
    CheckConstraint("channel in ('phone', 'mail', 'web', 'counter')", name="channel_code"),
    CheckConstraint(
        "caller_type in ('member', 'employer', 'clinic', 'other')", name="caller_type_code"
    ),
)
Index("ix_inquiry_day", inquiry.c.day)
Index("ix_inquiry_language_day", inquiry.c.language, inquiry.c.day)
Index("ix_inquiry_category_day", inquiry.c.category, inquiry.c.day)
Index("ix_inquiry_faq_entry", inquiry.c.faq_entry_id)
Index("ix_inquiry_membership", inquiry.c.membership_id)
Index("ix_inquiry_follow_up_due", inquiry.c.follow_up_due)
