from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from shikaku.actors import SYSTEM
from shikaku.registry import feeds
from shikaku.registry.feeds import FeedFileError, do_import_myna_status
from shikaku.registry.tables import import_run, myna_status

from .factories import AT, employer, enrol, make_my_number, person

HEADER = (
    "insurer_number,symbol,number,branch_no,birth_date,card_held,insurance_registered,"
    "registration_cancelled,card_returned,ecert_expiry,as_of,card_key,my_number"
)


@pytest.fixture
def members(engine: Engine, cipher) -> dict[str, int]:
    with engine.begin() as conn:
        emp = employer(conn)
        a = enrol(conn, cipher, emp, person(), my_number=make_my_number(1))
        b = enrol(
            conn,
            cipher,
            emp,
            person("山田", "良子", sex=2, birth=date(1982, 2, 28)),
            insured_person_id=a.person_id,
        )
    return {"a": a.person_id, "b": b.person_id}


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode(encoding))
    return path


def _import(engine: Engine, path: Path, cipher):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return do_import_myna_status(conn, actor=SYSTEM, at=AT, path=path, cipher=cipher)


def test_good_and_broken_rows(engine: Engine, cipher, members, tmp_path: Path) -> None:
    good_a = (
        f"01130012,1234567,1,00,1980-05-10,1,1,0,0,2029-05-10,2025-04-30,K1,{make_my_number(1)}"
    )
    good_b = "01130012,1234567,1,01,19820228,1,0,0,0,,2025-04-30,,"
    lines = [
        good_a,
        good_b,
        "01130013,1234567,1,00,1980-05-10,1,1,0,0,2029-05-10,2025-04-30,,",  # check digit
        "01130012,1234567,9,00,1980-05-10,1,1,0,0,2029-05-10,2025-04-30,,",  # unknown member
        "01130012,1234567,1,00,1980-02-30,1,1,0,0,2029-05-10,2025-04-30,,",  # impossible date
        "01130012,1234567,1,00,1980-05-10,maybe,1,0,0,2029-05-10,2025-04-30,,",  # boolean
        "01130012,1234567,1,00,1980-05-10,1,1,0,0,2029-05-10",  # column count
        "01130012,1234567,1,01,1982-03-01,1,0,0,0,,2025-04-30,,",  # birth date mismatch
        f"01130012,1234567,1,00,1980-05-10,1,1,0,0,2029-05-10,2025-04-30,,{make_my_number(2)}",
        "01130012,1234567,1,00,1980-05-10,1,1,0,0,2029-05-10,2025-04-30,,123456789012",
    ]
    path = _write(tmp_path / "feed.csv", lines)
    report = _import(engine, path, cipher)
    assert report.applied == 2
    by_line = {rj.line: rj for rj in report.rejects}
    assert by_line[4].rule_id == "insurer_number.checksum"
    assert by_line[5].rule_id == "feed.unknown_member"
    assert by_line[6].rule_id == "birth_date.impossible" and by_line[6].field == "birth_date"
    assert by_line[7].rule_id == "feed.boolean" and by_line[7].field == "card_held"
    assert by_line[8].rule_id == "feed.column_count"
    assert by_line[9].rule_id == "feed.birth_date_mismatch"
    assert by_line[10].rule_id == "feed.my_number_mismatch"
    assert by_line[11].rule_id == "my_number.checksum"
    assert len(report.rejects) == 8
    with report.reject_file.open(encoding="utf-8-sig") as fh:  # type: ignore[union-attr]
        rows = list(csv.DictReader(fh))
    assert [int(r["line"]) for r in rows] == sorted(by_line)
    assert make_my_number(2) not in report.reject_file.read_text(encoding="utf-8-sig")  # type: ignore[union-attr]
    with engine.connect() as conn:
        st = {r.person_id: r for r in conn.execute(select(myna_status))}
    assert st[members["a"]].insurance_registered and st[members["a"]].card_key == "K1"
    assert st[members["b"]].card_held and not st[members["b"]].insurance_registered


def test_reimport_same_file_changes_nothing(engine: Engine, cipher, members, tmp_path) -> None:
    path = _write(
        tmp_path / "feed.csv", ["01130012,1234567,1,00,1980-05-10,1,1,0,0,2029-05-10,2025-04-30,,"]
    )
    first = _import(engine, path, cipher)
    second = _import(engine, path, cipher)
    assert first.applied == 1 and not first.already_imported
    assert second.already_imported and second.applied == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_run)).scalar_one() == 1
    # Same content in another file name: recognised by its hash too.
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    assert _import(engine, copy, cipher).already_imported


def test_same_rows_in_a_new_file_are_unchanged(engine, cipher, members, tmp_path) -> None:
    row = "01130012,1234567,1,00,1980-05-10,1,1,0,0,2029-05-10,2025-04-30,,"
    _import(engine, _write(tmp_path / "m1.csv", [row]), cipher)
    report = _import(engine, _write(tmp_path / "m2.csv", [row, ""]), cipher)
    assert (report.applied, report.unchanged) == (0, 1)


def test_shift_jis_and_broken_encoding(engine, cipher, members, tmp_path) -> None:
    sjis = _write(
        tmp_path / "sjis.csv",
        ["01130012,1234567,1,00,1980-05-10,有,1,0,0,2029-05-10,2025-04-30,,"],
        encoding="cp932",
    )
    assert _import(engine, sjis, cipher).applied == 1
    broken = tmp_path / "broken.csv"
    broken.write_bytes(
        (HEADER + "\n").encode()
        + "01130012,1234567,1,01,1982-02-28,有,0,0,0,,2025-04-30,,\n".encode()
        + b"01130012,1234567,1,00,\xff\xfe\xfa,1,1,0,0,,2025-04-30,,\n"
    )
    report = _import(engine, broken, cipher)
    assert report.applied == 1
    assert [(r.line, r.rule_id) for r in report.rejects] == [(3, "file.encoding")]


def test_missing_columns_is_a_file_error(engine, cipher, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("insurer_number,symbol\n01130012,1234567\n")
    with pytest.raises(FeedFileError, match="missing columns"):
        _import(engine, path, cipher)


def test_crash_mid_file_leaves_database_as_before(
    engine, cipher, members, tmp_path, monkeypatch
) -> None:
    path = _write(
        tmp_path / "feed.csv",
        [
            "01130012,1234567,1,00,1980-05-10,1,1,0,0,2029-05-10,2025-04-30,,",
            "01130012,1234567,1,01,1982-02-28,1,1,0,0,2029-05-10,2025-04-30,,",
        ],
    )
    monkeypatch.setattr(feeds, "BATCH_ROWS", 1)
    calls = {"n": 0}
    real_write = feeds.write_audit

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        raise RuntimeError("power cut")

    monkeypatch.setattr(feeds, "write_audit", boom)
    with pytest.raises(RuntimeError):
        _import(engine, path, cipher)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(myna_status)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(import_run)).scalar_one() == 0
    monkeypatch.setattr(feeds, "write_audit", real_write)
    assert _import(engine, path, cipher).applied == 2
