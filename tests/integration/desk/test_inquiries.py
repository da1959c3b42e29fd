"""The inquiry log on SQLite and PostgreSQL: record (member link, fallbacks, field errors),
search, CSV export and daily counts."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from shikaku.actors import Actor, Role
from shikaku.clock import JST
from shikaku.crypto import MyNumberCipher
from shikaku.desk.service import (
    CSV_COLUMNS,
    DeskVocabulary,
    InquiryError,
    desk_actor,
    do_record_inquiry,
    export_inquiries,
    logged_calls_per_day,
    search_inquiries,
)
from shikaku.desk.tables import inquiry
from shikaku.domain.ids import insurer_number as insurer_ids
from shikaku.domain.ids import my_number
from shikaku.domain.ids.insurer_number import branch_insurer_number
from shikaku.registry.tables import audit_event

from .conftest import enrol

NOW = datetime(2025, 8, 20, 15, 0, tzinfo=JST)
OP = desk_actor("op-suzuki")
VOCAB = DeskVocabulary(entries={"certificate-lost": "certificate", "what-is-myna": "myna-card"})


def record(conn: Any, **kw: Any) -> Any:
    args: dict[str, Any] = dict(
        actor=OP,
        at=NOW,
        channel="phone",
        language="ja",
        caller_type="member",
        category="certificate",
        outcome="answered",
        vocabulary=VOCAB,
    )
    args.update(kw)
    return do_record_inquiry(conn, **args)


def test_member_key_is_normalised_and_linked(engine: Engine, cipher: MyNumberCipher) -> None:
    ref = enrol(engine, cipher)
    with engine.begin() as conn:
        rec = record(
            conn,
            symbol="１２３４５６７",  # full-width, as an IME types it
            number="0001",
            branch_no="0",
            interpreter_used=True,
            language="VI",
        )
    assert rec.membership_id == ref.membership_id and rec.branch_code == "13"
    assert rec.language == "vi" and rec.notices == ()
    with engine.connect() as conn:
        row = conn.execute(select(inquiry).where(inquiry.c.id == rec.id)).mappings().one()
        audit = (
            conn.execute(select(audit_event).where(audit_event.c.action == "record-inquiry"))
            .mappings()
            .one()
        )
    assert (row["symbol"], row["number"], row["branch_no"]) == ("1234567", "1", "00")
    assert row["operator"] == "op-suzuki" and row["interpreter_used"] is True
    assert row["day"] == date(2025, 8, 20) and row["hour"] == 15
    assert audit["actor"] == "op-suzuki" and audit["subject_id"] == str(rec.id)
    detail = json.loads(audit["detail"])
    assert detail["member_linked"] is True and "1234567" not in audit["detail"]


def test_unknown_member_is_recorded_without_a_link(engine: Engine) -> None:
    with engine.begin() as conn:
        rec = record(conn, symbol="7654321", number="5", branch_no="01")
    assert rec.membership_id is None and any("no matching membership" in n for n in rec.notices)


def test_key_in_two_branches_needs_the_insurer_number(
    engine: Engine, cipher: MyNumberCipher
) -> None:
    enrol(engine, cipher, branch_code="13")
    osaka = enrol(engine, cipher, branch_code="27")
    key = {"symbol": "1234567", "number": "1", "branch_no": "00"}
    with engine.begin() as conn:
        vague = record(conn, **key)
        exact = record(conn, insurer_number=str(branch_insurer_number("27")), **key)
    assert vague.membership_id is None and any("several branches" in n for n in vague.notices)
    assert exact.membership_id == osaka.membership_id and exact.branch_code == "27"


def test_branch_staff_do_not_link_other_branches(engine: Engine, cipher: MyNumberCipher) -> None:
    enrol(engine, cipher, branch_code="13")
    staff = Actor("branch-27", Role.BRANCH_STAFF, "27")
    with engine.begin() as conn:
        rec = record(conn, actor=staff, symbol="1234567", number="1", branch_no="00")
    assert rec.membership_id is None and any("may not access" in n for n in rec.notices)


def test_unknown_language_falls_back_to_japanese_with_a_notice(engine: Engine) -> None:
    with engine.begin() as conn:
        rec = record(conn, language="xx-YY")
        alias = record(conn, language="zh-TW")
    assert rec.language == "ja"
    assert any("'xx-YY'" in n and "Japanese" in n for n in rec.notices)
    assert alias.language == "zh-Hant" and alias.notices == ()
    with engine.connect() as conn:
        stored = conn.execute(
            select(inquiry.c.language, inquiry.c.requested_language).where(inquiry.c.id == rec.id)
        ).one()
    assert tuple(stored) == ("ja", "xx-YY")


def test_an_entry_id_as_category_sets_the_faq_entry(engine: Engine) -> None:
    with engine.begin() as conn:
        rec = record(conn, category="certificate-lost")
        row = conn.execute(select(inquiry).where(inquiry.c.id == rec.id)).mappings().one()
    assert (row["category"], row["faq_entry_id"]) == ("certificate", "certificate-lost")


VALID_MY_NUMBER = "12345678901" + my_number.calc_check_digit("12345678901")
SOCIETY = "0613999" + insurer_ids.calc_check_digit("0613999")  # a 健保組合's number, not ours

BAD_INPUT = [
    ({"channel": "fax"}, "channel", "inquiry.channel.unknown"),
    ({"caller_type": "press"}, "caller_type", "inquiry.caller_type.unknown"),
    ({"outcome": "done"}, "outcome", "inquiry.outcome.unknown"),
    ({"category": "weather"}, "category", "inquiry.category.unknown"),
    ({"category": ""}, "category", "inquiry.required"),
    ({"language": ""}, "language", "inquiry.required"),
    ({"operator": "  "}, "operator", "inquiry.required"),
    ({"faq_entry_id": "no-such-entry"}, "faq_entry_id", "inquiry.faq_entry.unknown"),
    ({"symbol": "123", "number": "1", "branch_no": "0"}, "symbol", "member.symbol.length"),
    ({"symbol": "1234567", "number": "0", "branch_no": "0"}, "number", "member.number.zero"),
    ({"symbol": "1234567", "number": "1", "branch_no": "123"}, "branch_no",
     "member.branch_no.length"),
    ({"symbol": "1234567", "number": "1"}, "branch_no", "inquiry.member.incomplete"),
    ({"insurer_number": "01130013"}, "insurer_number", "insurer_number.checksum"),
    ({"insurer_number": SOCIETY}, "insurer_number", "inquiry.insurer_number.not_ours"),
    ({"note": f"番号は {VALID_MY_NUMBER} です"}, "note", "inquiry.my_number"),
    ({"follow_up": "1234-5678-9012 に電話"}, "follow_up", "inquiry.my_number"),
    ({"note": "x" * 2001}, "note", "inquiry.too_long"),
    ({"outcome": "escalated"}, "follow_up", "inquiry.follow_up.required"),
    ({"outcome": "callback", "follow_up": "折り返す"}, "follow_up_due",
     "inquiry.follow_up_due.required"),
    ({"follow_up_due": "2025/13/01"}, "follow_up_due", "inquiry.date.format"),
    ({"follow_up_due": "2025-08-19"}, "follow_up_due", "inquiry.follow_up_due.before_contact"),
    ({"contacted_at": "yesterday"}, "at", "inquiry.at.format"),
    ({"contacted_at": "2025-08-21T09:00"}, "at", "inquiry.at.future"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "field", "rule_id"), BAD_INPUT)
def test_bad_input_names_the_field(
    engine: Engine, kwargs: dict[str, Any], field: str, rule_id: str
) -> None:
    with engine.begin() as conn, pytest.raises(InquiryError) as exc:
        record(conn, **kwargs)
    problems = {(p.field, p.rule_id) for p in exc.value.problems}
    assert (field, rule_id) in problems
    p = next(p for p in exc.value.problems if p.field == field)
    assert p.message_ja and p.message_en and field in str(exc.value)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inquiry)).scalar_one() == 0


def test_every_problem_is_reported_at_once(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(InquiryError) as exc:
        record(conn, channel="fax", outcome="callback", symbol="12", note=VALID_MY_NUMBER)
    assert set(exc.value.fields) >= {"channel", "symbol", "number", "note", "follow_up"}


def _log_some(engine: Engine) -> None:
    rows = [
        (datetime(2025, 8, 4, 9, 5, tzinfo=JST), "ja", "certificate", None, "phone", None),
        (datetime(2025, 8, 4, 10, 0, tzinfo=JST), "vi", "certificate-lost", None, "phone", None),
        (datetime(2025, 8, 5, 11, 0, tzinfo=JST), "en", "myna-card", "=SUM(A1)", "web", None),
        # 15:30 UTC is 00:30 the next day in Japan
        (datetime(2025, 8, 5, 15, 30, tzinfo=UTC), "ja", "transition", None, "mail", None),
        (datetime(2025, 8, 7, 16, 0, tzinfo=JST), "ja", "other", "Callback re. 記号", "phone", "x"),
    ]
    with engine.begin() as conn:
        for at, lang, cat, note, channel, follow in rows:
            record(
                conn,
                contacted_at=at,
                language=lang,
                category=cat,
                note=note,
                channel=channel,
                outcome="callback" if follow else "answered",
                follow_up=follow and "折り返し",
                follow_up_due=date(2025, 8, 8) if follow else None,
            )


def test_search_filters(engine: Engine) -> None:
    _log_some(engine)
    with engine.connect() as conn:
        everything = search_inquiries(conn)
        assert [r.at for r in everything] == sorted((r.at for r in everything), reverse=True)
        assert len(everything) == 5
        assert everything[-1].at.tzinfo is not None and everything[-1].at.hour == 9
        aug4 = search_inquiries(conn, from_=date(2025, 8, 4), to=date(2025, 8, 4))
        assert {r.language for r in aug4} == {"ja", "vi"}
        aug6 = search_inquiries(conn, from_=date(2025, 8, 6))
        assert [r.category for r in aug6] == ["other", "transition"]  # 00:30 JST on 8/6
        assert [r.language for r in search_inquiries(conn, language="VI")] == ["vi"]
        assert search_inquiries(conn, language="xx") == []
        certs = search_inquiries(conn, category="certificate")
        assert len(certs) == 2
        by_entry = search_inquiries(conn, category="certificate-lost")
        assert [r.faq_entry_id for r in by_entry] == ["certificate-lost"]
        assert [r.category for r in search_inquiries(conn, text="callback RE")] == ["other"]
        assert len(search_inquiries(conn, text="100%")) == 0  # % is literal, not a wildcard
        assert len(search_inquiries(conn, channel="web")) == 1
        assert len(search_inquiries(conn, outcome="callback")) == 1
        assert len(search_inquiries(conn, limit=2)) == 2


def test_export_csv(engine: Engine, tmp_path: Path) -> None:
    _log_some(engine)
    path = tmp_path / "out" / "inquiries.csv"
    with engine.connect() as conn:
        n = export_inquiries(conn, path, from_=date(2025, 8, 5))
    assert n == 3
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["category"] for r in rows] == ["myna-card", "transition", "other"]  # oldest first
    assert rows[0]["note"] == "'=SUM(A1)"  # a spreadsheet must not run it
    assert rows[1]["at"] == "2025-08-06T00:30:00+09:00"
    assert rows[2]["follow_up_due"] == "2025-08-08" and rows[2]["outcome"] == "callback"
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"


def test_logged_calls_per_day(engine: Engine) -> None:
    _log_some(engine)
    with engine.connect() as conn:
        assert logged_calls_per_day(conn) == {
            date(2025, 8, 4): 2,
            date(2025, 8, 5): 1,
            date(2025, 8, 6): 1,
            date(2025, 8, 7): 1,
        }
        assert logged_calls_per_day(conn, channels=["phone"], to=date(2025, 8, 5)) == {
            date(2025, 8, 4): 2
        }
        assert logged_calls_per_day(conn, languages=["en"]) == {date(2025, 8, 5): 1}


def test_contact_time_defaults_to_now(engine: Engine) -> None:
    with engine.begin() as conn:
        rec = record(conn, contacted_at=None)
        [row] = search_inquiries(conn)
    assert row.id == rec.id and row.at == NOW and row.recorded_at == NOW


def test_a_key_without_the_insurer_number_probes_the_index_per_branch(
    engine: Engine, cipher: MyNumberCipher
) -> None:
    """Without the branch the unique key (branch, 記号, 番号, 枝番) is probed once per branch,
    never a scan of every membership (tens of millions nationally)."""
    from shikaku.desk import repo

    enrol(engine, cipher, branch_code="13")
    osaka = enrol(engine, cipher, branch_code="27")
    key = {"symbol": "1234567", "number": "1", "branch_no": "00"}
    with engine.connect() as conn:
        both = repo.find_memberships(conn, **key)
        one = repo.find_memberships(conn, branch_code="27", **key)
        sql = str(
            repo.memberships_by_key(repo.BRANCH_CODES, **key).compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        if engine.dialect.name == "sqlite":
            plan = " ".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # tiny tables would be scanned
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
            conn.rollback()
    assert sorted(b for _, b in both) == ["13", "27"] and one == [(osaka.membership_id, "27")]
    if engine.dialect.name == "sqlite":
        assert "SEARCH membership" in plan and "branch_code=?" in plan, plan
    else:
        assert "Index" in plan and "branch_code" in plan, plan
    assert "SCAN membership" not in plan and "Seq Scan" not in plan, plan
