"""The returns CSV reader answers every line by its number: blank lines are skipped without
shifting the numbers, a line with the wrong number of columns is rejected, and an unbalanced
quote (a field that would run over the end of its line) is rejected on its own line instead of
swallowing the lines after it."""

from __future__ import annotations

from datetime import date

from shikaku.mail.intake import read_returns
from shikaku.mail.returns import ReturnInput

HEADER = "piece_id,tracking_no,returned_on,reason\n"
TODAY = date(2025, 9, 10)


def _lines(items: list[ReturnInput]) -> list[int]:
    return [it.line for it in items]


def test_blank_lines_keep_the_line_numbers() -> None:
    raw = HEADER + ",5000002511940,2025-09-01,unclaimed\n\n  \n,5000002511941,2025-09-02,moved\n"
    items, rejects = read_returns(raw.encode(), today=TODAY, source="t.csv")
    assert _lines(items) == [2, 5] and rejects == []


def test_wrong_column_count_and_unbalanced_quote_are_answered_by_line() -> None:
    raw = (
        HEADER
        + ",5000002511940,2025-09-01,unclaimed\n"
        + '",5000002511941,2025-09-01,unclaimed\n'  # the quote never closes
        + ",5000002511942,2025-09-01,unclaimed\n"
        + "1,2,3\n"
        + ",5000002511943,2025-09-01,unclaimed\n"
    )
    items, rejects = read_returns(raw.encode(), today=TODAY, source="t.csv")
    assert _lines(items) == [2, 4, 6]
    assert [(r.line, r.rule_id) for r in rejects] == [
        (3, "feed.column_count"),
        (5, "feed.column_count"),
    ]


def test_shift_jis_file_reads_the_same() -> None:
    raw = "管理番号,追跡番号,返戻日,還付事由\n,5000002511940,2025-09-01,転居先不明\n"
    items, rejects = read_returns(raw.encode("cp932"), today=TODAY, source="t.csv")
    assert _lines(items) == [2] and rejects == []


def test_a_line_in_neither_encoding_is_answered_and_the_others_read() -> None:
    """A file that does not decode as a whole is read line by line: a UTF-8 line and a
    Shift_JIS line both read, an undecodable one is rejected by its number."""
    raw = (
        HEADER.encode()
        + b",5000002511940,2025-09-01,unclaimed\n"
        + ",5000002511941,2025-09-01,転居先不明\n".encode("cp932")
        + b",5000002511942,2025-09-01,\x81 x\n"
        + ",5000002511943,2025-09-01,転居先不明\n".encode()
    )
    items, rejects = read_returns(raw, today=TODAY, source="t.csv")
    assert _lines(items) == [2, 3, 5]
    assert [(r.line, r.rule_id) for r in rejects] == [(4, "file.encoding")]


def test_a_stray_byte_that_cp932_would_accept_is_rejected_on_its_line() -> None:
    """Python's cp932 decodes 0xFF (and 0x80, 0xA0, 0xFD, 0xFE) to an invisible character
    instead of failing; such a line is an encoding error, the others still read."""
    raw = (
        "管理番号,追跡番号,返戻日,還付事由\n".encode("cp932")
        + ",5000002511940,2025-09-01,転居先不明\n".encode("cp932")
        + b",5000002511941,2025-09-01,\x93\x5d\x8b\x8f\xff\n"  # 転居 + a stray 0xFF
        + ",5000002511942,2025-09-01,転居先不明\n".encode("cp932")
    )
    items, rejects = read_returns(raw, today=TODAY, source="t.csv")
    assert _lines(items) == [2, 4]
    assert [(r.line, r.rule_id) for r in rejects] == [(3, "file.encoding")]
