"""CSV intake: good rows applied, broken rows answered by line, repeats are one return."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from shikaku.actors import SYSTEM
from shikaku.issuance.tables import mail_piece
from shikaku.mail.intake import do_import_returns
from shikaku.mail.tables import return_event

from .support import Mailing


def _import(m: Mailing, path: Path):  # type: ignore[no-untyped-def]
    with m.app.engine.begin() as conn:
        return do_import_returns(
            conn, actor=SYSTEM, at=m.clock.now(), today=m.clock.today(), path=path
        )


def test_broken_rows_are_reported_by_line_and_good_rows_applied(
    mailing: Mailing, tmp_path: Path
) -> None:
    m = mailing
    p = m.pieces("posted")
    with m.app.engine.begin() as conn:
        conn.execute(
            update(mail_piece).where(mail_piece.c.id == p[4]).values(tracking_no="1234567890123")
        )
    future = (m.clock.today() + timedelta(days=3)).isoformat()
    bad_digit = p[5][:-1] + str((int(p[5][-1]) + 1) % 10)
    lines = [
        "piece_id,tracking_no,returned_on,reason",  # 1
        f"{p[0]},,2025-09-04,あて所に尋ねあたりません",  # 2 ok
        f"{p[1]},,2025/09/04,転居先不明",  # 3 ok (slashes)
        f"{bad_digit},,2025-09-04,転居先不明",  # 4 bad check digit
        f"{p[2]},,{future},転居先不明",  # 5 future date
        f"{p[3]},,2025-09-04,転送不要",  # 6 unknown reason
        ",1234-5678-90123,2025-09-04,moved",  # 7 ok by 特定記録 number
        f"{p[0]},,2025-09-04,あて所に尋ねあたりません",  # 8 same return again
        f"{p[6]},,2025-13-01,unknown",  # 9 impossible date
        f"{p[7]},,2025-09-04",  # 10 wrong column count
        "",  # 11 blank: skipped
        "019999999994,,2025-09-04,転居先不明",  # 12 (maybe) unknown piece
        f"{p[8]},,,転居先不明",  # 13 no date
    ]
    raw = ("\n".join(lines) + "\n").encode("utf-8")
    raw += b"\xff\xfe\xfa,,2025-09-04,\x80\x80\n"  # 14 undecodable in UTF-8 and Shift_JIS
    path = tmp_path / "returns.csv"
    path.write_bytes(raw)
    rep = _import(m, path)
    assert rep.recorded == 3
    by_line = {rj.line: rj.rule_id for rj in rep.rejects}
    assert by_line[4] == "return.piece_id.invalid"
    assert by_line[5] == "return.date.future"
    assert by_line[6] == "return.reason.unknown"
    assert by_line[9] == "return.date.format"
    assert by_line[10] == "feed.column_count"
    assert by_line[12] in ("return.piece.unknown", "return.piece_id.invalid")
    assert by_line[13] == "return.date.format"
    assert by_line[14] == "file.encoding"
    assert [d.line for d in rep.duplicates] == [8]
    assert 2 not in by_line and 3 not in by_line and 7 not in by_line
    assert rep.results_file is not None
    rows = list(csv.DictReader(rep.results_file.open(encoding="utf-8-sig")))
    assert {int(r["line"]) for r in rows} == {*by_line, 8}
    assert all(r["message_ja"] and r["message_en"] for r in rows)

    # the same file again: skipped whole; an overlapping file: duplicates only, nothing twice
    assert _import(m, path).already_imported
    overlap = tmp_path / "overlap.csv"
    overlap.write_text(
        f"管理番号,返戻日,還付事由\n{p[1]},2025-09-04,転居先不明\n{p[9]},2025-09-05,保管期間経過\n",
        encoding="cp932",
    )
    rep2 = _import(m, overlap)
    assert rep2.recorded == 1 and [d.line for d in rep2.duplicates] == [2]
    with m.app.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(return_event)).scalar_one()
        pieces = conn.execute(select(return_event.c.piece_id, return_event.c.source)).all()
    assert n == 4
    assert {pid for pid, _ in pieces} == {p[0], p[1], p[4], p[9]}
    assert {src for _, src in pieces} == {"csv"}
