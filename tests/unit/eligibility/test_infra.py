"""Rate limiter, metrics registry, audit canonical form and writer, batch CSV reading, i18n."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from shikaku.eligibility.audit import (
    GENESIS,
    AuditWriter,
    canonical,
    chain_hash,
    from_us,
    to_us,
)
from shikaku.eligibility.batch import BatchError, decode, read_rows
from shikaku.eligibility.ratelimit import LocalLimiter
from shikaku.metrics import Registry
from shikaku.web.i18n import TEXTS, pick_language


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_gcra_burst_then_rate() -> None:
    clock = Clock()
    limiter = LocalLimiter(clock)
    decisions = [limiter.hit_now("a", rate=2, burst=3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[3].retry_after == pytest.approx(0.5)
    assert decisions[3].retry_after_header == "1"
    clock.t += 0.5
    assert limiter.hit_now("a", rate=2, burst=3).allowed
    assert not limiter.hit_now("a", rate=2, burst=3).allowed
    assert limiter.hit_now("b", rate=2, burst=3).allowed  # per key


def test_metrics_exposition_and_merge(tmp_path: Path) -> None:
    reg = Registry()
    c = reg.counter("x_total", "things", ["kind"])
    h = reg.histogram("lat_seconds", "latency", ["route"], buckets=(0.1, 1.0))
    g = reg.gauge("queue", "pending")
    c.inc(("a",))
    c.inc(("a",), 2)
    h.observe(0.05, ("/r",))
    h.observe(0.5, ("/r",))
    h.observe(5, ("/r",))
    g.set(7)
    text = reg.exposition().decode()
    assert 'x_total{kind="a"} 3.0' in text
    assert 'lat_seconds_bucket{route="/r",le="0.1"} 1.0' in text
    assert 'lat_seconds_bucket{route="/r",le="+Inf"} 3.0' in text
    assert 'lat_seconds_count{route="/r"} 3.0' in text
    assert "# TYPE lat_seconds histogram" in text and "queue 7.0" in text
    # two "workers" sharing a directory
    reg.shared_dir = tmp_path
    other = {"at": 0, "metrics": {"x_total": [[["a"], 10]], "queue": [[[], 100]]}}
    (tmp_path / "99999.json").write_bytes(__import__("orjson").dumps(other))
    merged = reg.exposition().decode()
    assert 'x_total{kind="a"} 13.0' in merged
    assert "queue 7.0" in merged  # the stale worker's gauge is ignored


def test_label_values_are_escaped() -> None:
    reg = Registry()
    reg.counter("c_total", "c", ["p"]).inc(('a"b\\c\n',))
    assert 'c_total{p="a\\"b\\\\c\\n"} 1.0' in reg.exposition().decode()


REC = (
    1764000000123456,
    3,
    "1312345678",
    "numbers",
    "r1",
    42,
    date(2025, 12, 10),
    1,
    "legacy_card",
    "legacy_card.provisional",
    True,
    "ok",
)


def test_canonical_form_is_stable() -> None:
    assert canonical(7, REC) == "\x1f".join(
        [
            "7",
            "1764000000123456",
            "3",
            "1312345678",
            "numbers",
            "r1",
            "42",
            "2025-12-10",
            "1",
            "legacy_card",
            "legacy_card.provisional",
            "1",
            "ok",
        ]
    )
    assert canonical(1, (*REC[:5], None, None, None, None, None, None, "x")).endswith(
        "\x1f\x1f\x1f\x1f\x1f\x1fx"
    )
    h = chain_hash(GENESIS, 1, REC)
    assert len(h) == 64 and h != chain_hash(GENESIS, 2, REC)
    assert chain_hash(h, 2, REC) != chain_hash(GENESIS, 2, REC)


def test_writer_canonical_form_agrees_with_the_verifier() -> None:
    from shikaku.eligibility.audit import _chained, _fast_canonical

    variants = [
        REC,
        (*REC[:5], None, None, None, None, None, None, "member.number.format"),
        (*REC[:10], False, "ok"),
    ]
    for rec in variants:
        assert _fast_canonical(9, rec) == canonical(9, rec)  # type: ignore[arg-type]
    rows = list(_chained(None, variants))  # type: ignore[arg-type]
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        assert row[-1] == chain_hash(prev, seq, row[1:-2])
        prev = row[-1]


def test_timestamps_round_trip_exactly() -> None:
    us = 1764000000999999
    at = from_us(us)
    assert to_us(at) == us and to_us(at.replace(tzinfo=None)) == us


def test_sqlite_timestamp_text_is_the_datetime_text() -> None:
    from datetime import datetime, timedelta

    from shikaku.eligibility.audit import _SqliteTime

    fmt = _SqliteTime()
    start = 1764000000_000000
    # within a second, across second, minute, day and year boundaries, back in time
    for us in (
        start,
        start + 1,
        start + 999_999,
        start + 1_000_000,
        start - 1,
        1767225599_999_999,  # 2025-12-31 23:59:59.999999
        1767225600_000_000,
        start + 86_400_000_000 * 40 + 7,
        start,
    ):
        expected = (datetime(1970, 1, 1) + timedelta(microseconds=us)).isoformat(
            sep=" ", timespec="microseconds"
        )
        assert fmt(us) == expected


class ListSink:
    def __init__(self, fail: int = 0) -> None:
        self.batches: list[list[tuple]] = []  # type: ignore[type-arg]
        self.fail = fail

    def append(self, records) -> None:  # type: ignore[no-untyped-def]
        if self.fail:
            self.fail -= 1
            raise OSError("down")
        self.batches.append(list(records))

    def close(self) -> None:
        pass


def test_writer_batches_and_flushes_on_close() -> None:
    sink = ListSink()
    writer = AuditWriter(lambda: sink, interval=3600, max_batch=4)
    for i in range(10):
        writer.submit((*REC[:4], f"r{i}", *REC[5:]))
    writer.close()
    assert [len(b) for b in sink.batches] == [4, 4, 2]
    assert [r[4] for b in sink.batches for r in b] == [f"r{i}" for i in range(10)]


def test_writer_keeps_rows_when_the_database_fails() -> None:
    sink = ListSink(fail=1)
    writer = AuditWriter(lambda: sink, interval=3600)
    writer.submit(REC)
    assert writer.flush() is False and writer.pending == 1
    assert writer.flush() is True and writer.pending == 0
    assert writer.stats.failures == 1 and writer.stats.written == 1


def test_writer_thread_flushes_in_the_background() -> None:
    sink = ListSink()
    done = threading.Event()
    writer = AuditWriter(lambda: sink, interval=0.01, on_flush=lambda n, s: done.set())
    writer.start()
    writer.submit(REC)
    assert done.wait(5)
    writer.close()
    assert sum(len(b) for b in sink.batches) == 1


def test_batch_csv_reading() -> None:
    rows = read_rows(
        "Insurer_Number,NUMBER,branch,birth_date\n01130012,1,0,1980-01-01\n\n"
        "01130012,2,0,1980-01-02\n",
        10,
    )
    assert [line for line, _ in rows] == [2, 4]
    assert rows[0][1]["insurer_number"] == "01130012"
    assert decode("保険者".encode("cp932")) == "保険者"
    assert decode("\ufeff保険者".encode()) == "保険者"
    with pytest.raises(BatchError):
        read_rows("a,b\n1,2\n", 10)


def test_languages() -> None:
    assert pick_language("en", "ja") == "en"
    assert pick_language(None, "en-US,en;q=0.9") == "en"
    assert pick_language("fr", None) == "ja"
    assert TEXTS["ja"].keys() == TEXTS["en"].keys()


def test_member_rows_convert_dates_from_either_database() -> None:
    from shikaku.eligibility.repo import MemberRow, _member

    text = (1, 2, 2, "13", "1234567", "89", "00", 1, "2020-04-01", None, None, 300_000,
            "山田", "太郎", "ヤマダ", "タロウ", 1, "1980-02-29")  # fmt: skip
    row = _member(text)
    assert isinstance(row, MemberRow)
    assert (row.valid_from, row.valid_to, row.birth_date) == (
        date(2020, 4, 1),
        None,
        date(1980, 2, 29),
    )
    as_dates = (*text[:8], date(2020, 4, 1), date(2021, 3, 31), *text[10:17], date(1980, 2, 29))
    assert _member(as_dates).valid_to == date(2021, 3, 31)
    assert _member(text) == row  # memoised conversions give equal rows
