"""CSV intake of returned mail (``shikaku mail import FILE.csv``) from the post office or the
scanning station.

UTF-8 (with or without BOM) or Shift_JIS, header row first; English or Japanese headers:

    piece_id,tracking_no,returned_on,reason          管理番号,追跡番号,返戻日,還付事由

Each row names a piece by its id (or an employer envelope id) or by its 特定記録 number. The
good rows are applied in one transaction; every other row is answered by line number with a
rule id and a Japanese and English message (unknown piece, never posted, future date, unknown
reason, undecodable line, …) in ``FILE.csv.results.csv``. Rows for returns already recorded —
earlier in the file, in an earlier file, or by a scanner — are reported as duplicates and change
nothing; a file whose SHA-256 was imported before is skipped as a whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection

from shikaku.actors import Actor
from shikaku.bulk import gc_paused
from shikaku.mail.ids import PIECE_ID_LENGTH, luhn_ok_array
from shikaku.mail.reasons import DEFAULT_RULES, Reason, ReturnRules, parse_reason
from shikaku.mail.returns import Outcome, ReturnInput, RowResult, parse_input
from shikaku.mail.service import do_record_returns
from shikaku.registry.feeds import (
    Reject,
    imported_before,
    read_csv_rows,
    record_import_run,
    write_rejects,
)

KIND = "returned-mail"
HEADER_ALIASES = {
    "管理番号": "piece_id",
    "郵便物番号": "piece_id",
    "追跡番号": "tracking_no",
    "お問い合わせ番号": "tracking_no",
    "返戻日": "returned_on",
    "還付日": "returned_on",
    "還付事由": "reason",
    "返戻理由": "reason",
}
REQUIRED = ("returned_on", "reason")


@dataclass
class IntakeReport:
    file: Path
    sha256: str
    already_imported: bool = False
    rows_total: int = 0
    recorded: int = 0
    by_action: dict[str, int] = field(default_factory=dict)
    duplicates: list[RowResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    results_file: Path | None = None


@lru_cache(maxsize=256)
def _reason(text: str) -> Reason | None:
    return parse_reason(text)


def _fast_inputs(
    rows: list[tuple[int, list[str]]], header: list[str], today: date
) -> list[ReturnInput | None]:
    """The common clean rows (ASCII digits, ISO date, a known reason) without the general
    parser's normalisation; None sends a row to :func:`parse_input`. Piece ids are checked all
    at once (:func:`luhn_ok_array`)."""
    col = {name: i for i, name in enumerate(header)}
    i_pid, i_trk = col.get("piece_id"), col.get("tracking_no")
    i_day, i_reason = col["returned_on"], col["reason"]
    pids = [v[i_pid].strip() for _, v in rows] if i_pid is not None else [""] * len(rows)
    trks = [v[i_trk].strip() for _, v in rows] if i_trk is not None else [""] * len(rows)
    good_pid = luhn_ok_array(pids, PIECE_ID_LENGTH).tolist() if rows else []
    out: list[ReturnInput | None] = []
    fromiso = date.fromisoformat
    for (line, values), pid, trk, pid_ok in zip(rows, pids, trks, good_pid, strict=True):
        reason = _reason(values[i_reason])
        day = values[i_day].strip()
        if reason is None or len(day) != 10:
            out.append(None)
            continue
        if pid:
            if not pid_ok:
                out.append(None)
                continue
        elif not (trk.isdigit() and trk.isascii() and 10 <= len(trk) <= 20):
            out.append(None)
            continue
        try:
            returned_on = fromiso(day)
        except ValueError:
            out.append(None)
            continue
        if returned_on > today:
            out.append(None)
            continue
        out.append(ReturnInput(line, pid or None, trk or None, returned_on, reason))
    return out


def _reject(r: RowResult, field_name: str) -> Reject:
    return Reject(r.line, field_name, r.rule_id, r.message_ja, r.message_en)


_FIELD_OF = {
    Outcome.INVALID_ID: "piece_id",
    Outcome.UNKNOWN_REASON: "reason",
    Outcome.FUTURE_DATE: "returned_on",
    Outcome.BAD_DATE: "returned_on",
    Outcome.UNKNOWN_PIECE: "piece_id",
    Outcome.NOT_POSTED: "piece_id",
    Outcome.OTHER_BRANCH: "piece_id",
    Outcome.ALREADY_RETURNED: "piece_id",
}


def read_returns(raw: bytes, *, today: date, source: str) -> tuple[list[ReturnInput], list[Reject]]:
    """Parse and check every row; never raises for a bad row."""
    header, rows, rejects = read_csv_rows(raw, REQUIRED, source=source, aliases=HEADER_ALIASES)
    items: list[ReturnInput] = []
    for (line, values), fast in zip(rows, _fast_inputs(rows, header, today), strict=True):
        if fast is not None:
            items.append(fast)
            continue
        rec = dict(zip(header, values, strict=True))
        parsed = parse_input(
            line,
            ref=rec.get("piece_id"),
            tracking_no=rec.get("tracking_no"),
            returned_on=rec["returned_on"].strip() or "-",
            reason=rec["reason"],
            today=today,
        )
        if isinstance(parsed, RowResult):
            rejects.append(_reject(parsed, _FIELD_OF[parsed.outcome]))
        else:
            items.append(parsed)
    return items, rejects


def do_import_returns(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    today: date,
    path: Path,
    rules: ReturnRules = DEFAULT_RULES,
    results_path: Path | None = None,
) -> IntakeReport:
    """Apply a returns CSV in the caller's transaction (see the module docstring)."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    report = IntakeReport(file=path, sha256=digest)
    if imported_before(conn, KIND, digest):
        report.already_imported = True
        return report
    with gc_paused():  # a million parsed rows alive at once (shikaku.bulk)
        items, rejects = read_returns(raw, today=today, source=str(path))
        report.rows_total = len(items) + len(rejects)
        applied = do_record_returns(
            conn, actor=actor, at=at, today=today, items=items, source="csv", rules=rules
        )
    for r in applied.rows:
        if r.outcome == Outcome.ALREADY_RETURNED:
            report.duplicates.append(r)
        else:
            rejects.append(_reject(r, _FIELD_OF.get(r.outcome, "*")))
    report.recorded = applied.recorded
    report.by_action = applied.by_action
    report.rejects = sorted(rejects, key=lambda rj: rj.line)
    record_import_run(
        conn,
        kind=KIND,
        path=path,
        sha256=digest,
        at=at,
        rows_total=report.rows_total,
        rows_applied=report.recorded,
        rows_unchanged=len(report.duplicates),
        rows_rejected=len(report.rejects),
    )
    if report.rejects or report.duplicates:
        report.results_file = results_path or path.with_suffix(path.suffix + ".results.csv")
        write_rejects(
            report.results_file,
            sorted(
                [*report.rejects, *(_reject(d, "piece_id") for d in report.duplicates)],
                key=lambda rj: rj.line,
            ),
        )
    return report
