"""Monthly Myna-status feed import (``shikaku registry import-myna-status FILE.csv``).

The file is CSV in UTF-8 (with or without BOM) or Shift_JIS (cp932), header row first:

    insurer_number,symbol,number,branch_no,birth_date,card_held,insurance_registered,
    registration_cancelled,card_returned,ecert_expiry,as_of[,card_key][,my_number]

Valid rows are applied, invalid rows go to a reject file with their line number, field, rule id
and bilingual message. The whole file is applied in one transaction (a crash leaves the database
as before the file), and a file whose SHA-256 was imported before changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    insert,
    select,
    update,
)

from shikaku.actors import Actor
from shikaku.bulk import gc_paused
from shikaku.crypto import MyNumberCipher
from shikaku.domain.dates import parse_date
from shikaku.domain.errors import ValidationError
from shikaku.domain.ids import member as member_ids
from shikaku.domain.ids import my_number as my_number_ids
from shikaku.domain.normalize import cp932_stray_line
from shikaku.registry.audit import write_audit
from shikaku.registry.tables import import_run, membership, my_number, myna_status, person

KIND = "myna-status"
REQUIRED_COLUMNS = (
    "insurer_number", "symbol", "number", "branch_no", "birth_date", "card_held",
    "insurance_registered", "registration_cancelled", "card_returned", "ecert_expiry", "as_of",
)  # fmt: skip
OPTIONAL_COLUMNS = ("card_key", "my_number")
BATCH_ROWS = 5_000
TRUE_VALUES = {"1", "true", "t", "yes", "y", "有", "あり"}
FALSE_VALUES = {"0", "false", "f", "no", "n", "無", "なし", ""}


class FeedFileError(Exception):
    """The file as a whole cannot be read (no header, wrong columns, unreadable)."""


@dataclass(frozen=True)
class Reject:
    line: int
    field: str
    rule_id: str
    message_ja: str
    message_en: str


@dataclass
class ImportReport:
    file: Path
    sha256: str
    already_imported: bool = False
    rows_total: int = 0
    applied: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    reject_file: Path | None = None


@dataclass(frozen=True)
class FeedRow:
    line: int
    branch_code: str
    symbol: str
    number: str
    branch_no: str
    birth_date: date
    card_held: bool
    insurance_registered: bool
    registration_cancelled: bool
    card_returned: bool
    ecert_expiry: date | None
    as_of: date
    card_key: str | None
    my_number_index: bytes | None


def _decode(data: bytes, encoding: str) -> str:
    """*data* as text, strictly: raises UnicodeDecodeError for a stray cp932 byte too."""
    text = data.decode(encoding)
    if encoding == "cp932" and cp932_stray_line(text) is not None:
        raise UnicodeDecodeError(encoding, data, 0, len(data), "not a Shift_JIS character")
    return text


def _decode_whole(raw: bytes) -> list[str] | None:
    """The file's lines when the whole file decodes as UTF-8 or Shift_JIS (the usual case)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return _decode(raw, encoding).splitlines()
        except UnicodeDecodeError:
            continue
    return None


def _decode_each_line(raw: bytes) -> Iterator[tuple[int, str | None]]:
    """A file that does not decode as a whole (mixed or broken): decide per line, so one bad
    line does not sink the file. Yields (line number, text or None when it cannot be
    decoded)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for i, bline in enumerate(raw.splitlines(), start=1):
        for encoding in ("utf-8", "cp932"):
            try:
                yield i, _decode(bline, encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            yield i, None


def _flag(value: str, column: str) -> bool:
    v = value.strip().lower()
    if v in TRUE_VALUES:
        return True
    if v in FALSE_VALUES:
        return False
    raise ValidationError(
        "feed.boolean",
        field=column,
        value=value,
        message_ja="1/0 または true/false で指定してください。",
        message_en="Use 1/0 or true/false.",
    )


def _opt_date(value: str, column: str) -> date | None:
    return parse_date(value, field=column) if value.strip() else None


def _parse_row(line: int, rec: dict[str, str], cipher: MyNumberCipher | None) -> FeedRow:
    key = member_ids.MemberKey.parse(
        insurer_number=rec["insurer_number"],
        symbol=rec["symbol"],
        number=rec["number"],
        branch_no=rec["branch_no"],
    )
    as_of = parse_date(rec["as_of"], field="as_of")
    index = None
    mn = (rec.get("my_number") or "").strip()
    if mn:
        valid = my_number_ids.validate(mn)
        index = cipher.blind_index(valid) if cipher else None
    return FeedRow(
        line=line,
        branch_code=key.insurer_number[2:4],
        symbol=key.symbol,
        number=key.number,
        branch_no=key.branch_no,
        birth_date=member_ids.parse_birth_date(rec["birth_date"]),
        card_held=_flag(rec["card_held"], "card_held"),
        insurance_registered=_flag(rec["insurance_registered"], "insurance_registered"),
        registration_cancelled=_flag(rec["registration_cancelled"], "registration_cancelled"),
        card_returned=_flag(rec["card_returned"], "card_returned"),
        ecert_expiry=_opt_date(rec["ecert_expiry"], "ecert_expiry"),
        as_of=as_of,
        card_key=(rec.get("card_key") or "").strip() or None,
        my_number_index=index,
    )


def read_csv_records(
    raw: bytes,
    required: Sequence[str],
    *,
    source: str = "file",
    aliases: Mapping[str, str] | None = None,
) -> tuple[list[tuple[int, dict[str, str]]], list[Reject]]:
    """Decode (UTF-8 with or without BOM, or Shift_JIS) and split a CSV with a header row into
    ``(line number, {column: value})`` records; lines that cannot be decoded or have the wrong
    number of columns become rejects. ``aliases`` renames header names (say Japanese ones) to
    column names. Raises :class:`FeedFileError` for a missing header or missing ``required``
    columns. Shared by every CSV intake (Myna-status feed, returned mail)."""
    header, rows, rejects = read_csv_rows(raw, required, source=source, aliases=aliases)
    return [(n, dict(zip(header, values, strict=True))) for n, values in rows], rejects


def read_csv_rows(
    raw: bytes,
    required: Sequence[str],
    *,
    source: str = "file",
    aliases: Mapping[str, str] | None = None,
) -> tuple[list[str], list[tuple[int, list[str]]], list[Reject]]:
    """:func:`read_csv_records` without a dictionary per row: the header (after ``aliases``)
    and ``(line number, values)`` rows, for intakes of a million rows."""
    with gc_paused():  # millions of small lists that all stay alive (shikaku.bulk)
        return _read_csv_rows(raw, required, source=source, aliases=aliases)


def _read_csv_rows(
    raw: bytes,
    required: Sequence[str],
    *,
    source: str,
    aliases: Mapping[str, str] | None,
) -> tuple[list[str], list[tuple[int, list[str]]], list[Reject]]:
    whole = _decode_whole(raw)
    lines: list[tuple[int, str | None]] = []
    if whole is not None:
        first = whole[0] if whole else None
    else:
        lines = list(_decode_each_line(raw))
        first = lines[0][1] if lines else None
    if first is None:
        raise FeedFileError(f"{source}: no readable header / ヘッダー行を読めません")
    header = next(csv.reader([first]), [])
    header = [h.strip().lstrip("\ufeff") for h in header]
    if aliases:
        header = [aliases.get(h, h) for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise FeedFileError(
            f"{source}:1: missing columns / 必須列がありません: {', '.join(missing)}"
        )
    rows: list[tuple[int, list[str]]] = []
    rejects: list[Reject] = []
    width = len(header)
    if whole is not None:
        # the usual case: the whole file decoded; one csv reader over all lines (same result
        # as line by line, about three times faster on a million rows), and no per-line
        # Python work unless a line is blank or has the wrong number of columns
        texts: Sequence[str] = whole[1:]
        numbers: Sequence[int] = range(2, len(whole) + 1)
        if not all(map(str.strip, texts)):
            kept = [(n, text) for n, text in zip(numbers, texts, strict=True) if text.strip()]
            numbers = [n for n, _ in kept]
            texts = [text for _, text in kept]
        parsed = list(csv.reader(texts))
        if len(parsed) == len(numbers):
            if set(map(len, parsed)) <= {width}:
                return header, list(zip(numbers, parsed, strict=True)), rejects
            for line_no, values in zip(numbers, parsed, strict=True):
                if len(values) == width:
                    rows.append((line_no, values))
                else:
                    rejects.append(_column_count(line_no, len(values), width))
            return header, rows, rejects
        # a quoted field ran over the end of its line (an unbalanced quote): read the file
        # line by line below, so that every line gets its own answer
        lines = [(n, text) for n, text in enumerate(whole, start=1)]
    for line_no, line_text in lines[1:]:
        if line_text is None:
            rejects.append(
                Reject(
                    line_no,
                    "*",
                    "file.encoding",
                    "文字コードを解釈できません",
                    "cannot decode the line as UTF-8 or Shift_JIS",
                )
            )
            continue
        if not line_text.strip():
            continue
        values = next(csv.reader(io.StringIO(line_text)), [])
        if len(values) != width:
            rejects.append(_column_count(line_no, len(values), width))
            continue
        rows.append((line_no, values))
    return header, rows, rejects


def _column_count(line_no: int, got: int, expected: int) -> Reject:
    return Reject(
        line_no,
        "*",
        "feed.column_count",
        f"列数が {got} です（{expected} 列が必要）",
        f"{got} columns, expected {expected}",
    )


def read_feed(
    path: Path, cipher: MyNumberCipher | None, *, raw: bytes | None = None
) -> tuple[list[FeedRow], list[Reject]]:
    """Parse and validate every row; never raises for a bad row. Pass ``raw`` (the file's
    bytes, already read) so what is parsed is exactly what was hashed."""
    data = path.read_bytes() if raw is None else raw
    records, rejects = read_csv_records(data, REQUIRED_COLUMNS, source=str(path))
    rows: list[FeedRow] = []
    for line_no, rec in records:
        try:
            rows.append(_parse_row(line_no, rec, cipher))
        except ValidationError as err:
            rejects.append(
                Reject(line_no, err.field or "*", err.rule_id, err.message_ja, err.message_en)
            )
    return rows, rejects


def imported_before(conn: Connection, kind: str, sha256: str) -> bool:
    """Whether a file of this kind with this SHA-256 was imported before (``import_run``).
    Shared by every CSV intake, which skips such a file as a whole."""
    seen = conn.execute(
        select(import_run.c.id).where(
            and_(import_run.c.kind == kind, import_run.c.sha256 == sha256)
        )
    ).first()
    return seen is not None


def record_import_run(
    conn: Connection,
    *,
    kind: str,
    path: Path,
    sha256: str,
    at: datetime,
    rows_total: int,
    rows_applied: int,
    rows_unchanged: int,
    rows_rejected: int,
) -> None:
    """Record an applied file in ``import_run`` (what :func:`imported_before` looks up)."""
    conn.execute(
        insert(import_run).values(
            kind=kind,
            file_name=path.name,
            sha256=sha256,
            started_at=at,
            finished_at=at,
            rows_total=rows_total,
            rows_applied=rows_applied,
            rows_unchanged=rows_unchanged,
            rows_rejected=rows_rejected,
        )
    )


def _staging_table(conn: Connection) -> Table:
    md = MetaData()
    staging = Table(
        "tmp_myna_feed",
        md,
        Column("line", Integer, primary_key=True),
        Column("branch_code", String(2)),
        Column("symbol", String(8)),
        Column("number", String(8)),
        Column("branch_no", String(2)),
        Column("birth_date", Date),
        Column("card_held", Boolean),
        Column("insurance_registered", Boolean),
        Column("registration_cancelled", Boolean),
        Column("card_returned", Boolean),
        Column("ecert_expiry", Date),
        Column("as_of", Date),
        Column("card_key", String(64)),
        Column("person_id", Integer),
        prefixes=["TEMPORARY"],
    )
    staging.drop(conn, checkfirst=True)
    staging.create(conn)
    return staging


def do_import_myna_status(
    conn: Connection,
    *,
    actor: Actor,
    at: datetime,
    path: Path,
    cipher: MyNumberCipher | None = None,
    reject_path: Path | None = None,
) -> ImportReport:
    """Apply a Myna-status feed in the caller's transaction (see module docstring)."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    report = ImportReport(file=path, sha256=digest)
    if imported_before(conn, KIND, digest):
        report.already_imported = True
        return report

    rows, rejects = read_feed(path, cipher, raw=raw)  # the bytes that were hashed
    report.rows_total = len(rows) + len(rejects)
    staging = _staging_table(conn)
    for start in range(0, len(rows), BATCH_ROWS):
        chunk = rows[start : start + BATCH_ROWS]
        conn.execute(
            insert(staging),
            [
                {c.name: getattr(r, c.name) for c in staging.c if c.name != "person_id"}
                | {"person_id": None}
                for r in chunk
            ],
        )
    # Resolve members set-based: key → person, then check the birth date.
    conn.execute(
        update(staging).values(
            person_id=select(membership.c.person_id)
            .where(
                and_(
                    membership.c.branch_code == staging.c.branch_code,
                    membership.c.symbol == staging.c.symbol,
                    membership.c.number == staging.c.number,
                    membership.c.branch_no == staging.c.branch_no,
                )
            )
            .scalar_subquery()
        )
    )
    by_line = {r.line: r for r in rows}
    bad_lines: set[int] = set()
    for line, _pid in conn.execute(
        select(staging.c.line, staging.c.person_id).where(staging.c.person_id.is_(None))
    ):
        bad_lines.add(line)
        rejects.append(
            Reject(
                line,
                "number",
                "feed.unknown_member",
                "該当する加入者がいません",
                "no member with these numbers",
            )
        )
    mismatch = conn.execute(
        select(staging.c.line)
        .join(person, person.c.id == staging.c.person_id)
        .where(person.c.birth_date != staging.c.birth_date)
    ).scalars()
    for line in mismatch:
        bad_lines.add(line)
        rejects.append(
            Reject(
                line,
                "birth_date",
                "feed.birth_date_mismatch",
                "生年月日が登録内容と一致しません",
                "birth date does not match the registry",
            )
        )
    # An optional My Number must match the one on file (compared by blind index, never decrypted).
    with_index = {r.line: r.my_number_index for r in rows if r.my_number_index is not None}
    if with_index:
        pid_by_line = dict(
            conn.execute(
                select(staging.c.line, staging.c.person_id).where(
                    staging.c.line.in_(list(with_index))
                )
            ).all()
        )
        stored = dict(
            conn.execute(
                select(my_number.c.person_id, my_number.c.blind_index).where(
                    my_number.c.person_id.in_([p for p in pid_by_line.values() if p is not None])
                )
            ).all()
        )
        for line, idx in with_index.items():
            pid = pid_by_line.get(line)
            if pid is not None and stored.get(pid) not in (None, idx):
                bad_lines.add(line)
                rejects.append(
                    Reject(
                        line,
                        "my_number",
                        "feed.my_number_mismatch",
                        "個人番号が登録内容と一致しません",
                        "My Number does not match the registry",
                    )
                )
    if bad_lines:
        conn.execute(staging.delete().where(staging.c.line.in_(sorted(bad_lines))))

    good = [by_line[line] for line in conn.execute(select(staging.c.line)).scalars()]
    pid_of = dict(conn.execute(select(staging.c.line, staging.c.person_id)).all())
    current = {
        r.person_id: r
        for r in conn.execute(
            select(myna_status).where(myna_status.c.person_id.in_(select(staging.c.person_id)))
        )
    }
    applied = unchanged = 0
    inserts: list[dict[str, object]] = []
    for r in good:
        pid = pid_of[r.line]
        values: dict[str, object] = dict(
            card_held=r.card_held,
            card_returned=r.card_returned,
            insurance_registered=r.insurance_registered,
            registration_cancelled=r.registration_cancelled,
            ecert_expiry=r.ecert_expiry,
            as_of=r.as_of,
        )
        if r.card_key is not None:
            values["card_key"] = r.card_key
        old = current.get(pid)
        if old is None:
            inserts.append({"person_id": pid, "card_key": r.card_key, **values})
            applied += 1
        elif old.as_of > r.as_of:
            unchanged += 1  # an older snapshot never overwrites a newer one
        elif all(getattr(old, k) == v for k, v in values.items()):
            unchanged += 1
        else:
            conn.execute(update(myna_status).where(myna_status.c.person_id == pid).values(values))
            applied += 1
    for start in range(0, len(inserts), BATCH_ROWS):
        conn.execute(insert(myna_status), inserts[start : start + BATCH_ROWS])
    staging.drop(conn)

    report.applied, report.unchanged = applied, unchanged
    report.rejects = sorted(rejects, key=lambda rj: rj.line)
    record_import_run(
        conn,
        kind=KIND,
        path=path,
        sha256=digest,
        at=at,
        rows_total=report.rows_total,
        rows_applied=applied,
        rows_unchanged=unchanged,
        rows_rejected=len(report.rejects),
    )
    write_audit(
        conn,
        actor=actor,
        at=at,
        action="import-myna-status",
        subject_type="import",
        subject_id=digest[:16],
        detail={
            "file": path.name,
            "applied": applied,
            "unchanged": unchanged,
            "rejected": len(report.rejects),
        },
    )
    if report.rejects:
        report.reject_file = reject_path or path.with_suffix(path.suffix + ".rejects.csv")
        write_rejects(report.reject_file, report.rejects)
    return report


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    """Reject file: line, field, rule id, messages (never the row's My Number)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["line", "field", "rule_id", "message_ja", "message_en"])
        for rj in rejects:
            w.writerow([rj.line, rj.field, rj.rule_id, rj.message_ja, rj.message_en])


__all__ = [
    "FeedFileError",
    "ImportReport",
    "Reject",
    "do_import_myna_status",
    "imported_before",
    "read_csv_records",
    "read_csv_rows",
    "read_feed",
    "record_import_run",
    "write_rejects",
]
