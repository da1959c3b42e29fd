"""What leaves the building with a wave: the print shop's manifest (CSV, and Parquet for
analysis), the post office's volume sheet (PDF), the employers' 対象者一覧表 (PDF and CSV) and the
exceptions held back for branch staff (CSV)."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, Integer, func, select

from shikaku.issuance.render import Section, render_document, render_sections
from shikaku.issuance.render.batch import sheets_for
from shikaku.issuance.tables import issuance_exception, mail_piece, print_batch, target
from shikaku.registry.tables import employer, membership, person

MANIFEST_COLUMNS = (
    "piece_id", "batch_file", "first_page", "last_page", "postal_code", "tracking_no",
    "branch_code", "employer_symbol", "members", "inserts", "status",
)  # fmt: skip
FLYER = "flyer"  # every home envelope carries the マイナ保険証 flyer

# Weights in grams (A4 64 g/m² ≈ 4 g; 長3 envelope ≈ 5 g; flyer ≈ 4 g). Postage classes follow
MANIFEST_FILE = "manifest.csv"  # and manifest.parquet beside it

# Japan Post's letter-size (定形) steps; the figures are configuration, not law.
ENVELOPE_G, SHEET_G, FLYER_G = 5.0, 4.0, 4.0
WEIGHT_CLASSES = ((25.0, "定形 25g以内"), (50.0, "定形 50g以内"), (1000.0, "定形外"))


@dataclass(frozen=True)
class PieceLine:
    piece_id: str
    batch_file: str
    first_page: int | None
    last_page: int | None
    postal_code: str
    tracking_no: str
    branch_code: str
    employer_symbol: str
    members: int
    status: str
    inserts: str = FLYER


def envelope_weight(members: int, flyer: bool = True) -> float:
    sheets = 1 + sheets_for(members)
    return ENVELOPE_G + SHEET_G * sheets + (FLYER_G if flyer else 0.0)


def weight_class(grams: float) -> str:
    return next(label for limit, label in WEIGHT_CLASSES if grams <= limit)


def manifest_lines(conn: Connection, wave_id: int) -> list[PieceLine]:
    stmt = (
        select(
            mail_piece.c.id,
            print_batch.c.file_name,
            mail_piece.c.first_page,
            mail_piece.c.last_page,
            mail_piece.c.postal_code,
            mail_piece.c.tracking_no,
            mail_piece.c.branch_code,
            employer.c.symbol,
            mail_piece.c.members,
            mail_piece.c.status,
        )
        .join(print_batch, print_batch.c.id == mail_piece.c.batch_id)
        .join(employer, employer.c.id == mail_piece.c.employer_id)
        .where(mail_piece.c.wave_id == wave_id)
        .order_by(print_batch.c.seq, mail_piece.c.batch_pos)
    )
    return [
        PieceLine(r[0], r[1], r[2], r[3], r[4], r[5] or "", r[6], r[7], r[8], r[9])
        for r in conn.execute(stmt)
    ]


def write_manifest(lines: list[PieceLine], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST_FILE
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(MANIFEST_COLUMNS)
        for ln in lines:
            w.writerow([getattr(ln, c) for c in MANIFEST_COLUMNS])
    table = pa.table({c: [getattr(ln, c) for ln in lines] for c in MANIFEST_COLUMNS})
    pq.write_table(table, folder / "manifest.parquet")
    return path


def volume_rows(lines: list[PieceLine]) -> list[list[str]]:
    """The volume sheet's rows: pieces and sheets per weight class, then per batch file."""
    by_class: Counter[str] = Counter()
    sheets_by_class: Counter[str] = Counter()
    by_batch: dict[str, Counter[str]] = {}
    for ln in lines:
        grams = envelope_weight(ln.members)
        cls = weight_class(grams)
        by_class[cls] += 1
        sheets_by_class[cls] += 1 + sheets_for(ln.members)
        by_batch.setdefault(ln.batch_file, Counter())[cls] += 1
    rows = [
        [cls, f"{by_class[cls]:,}", f"{sheets_by_class[cls]:,}", "特定記録"]
        for _, cls in WEIGHT_CLASSES
        if by_class[cls]
    ]
    rows.append(
        ["合計 total", f"{sum(by_class.values()):,}", f"{sum(sheets_by_class.values()):,}", ""]
    )
    rows += [
        [f"  {b}", f"{sum(c.values()):,}", "", ", ".join(f"{k}:{v}" for k, v in c.items())]
        for b, c in by_batch.items()
    ]
    return rows


def render_volume_sheet(
    path: str, rows: list[list[str]], wave_code: str, font_path: str | None
) -> str:
    """Worker task: the post office's volume sheet (差出票) as PDF."""
    render_document(
        Path(path),
        title=f"差出票（郵便物数量表）発送回 {wave_code}",
        subtitle="特定記録郵便 / tracked letters — pieces, sheets and weight class",
        headers=["区分 class", "通数 pieces", "枚数 sheets", "備考 note"],
        rows=rows,
        align=["left", "right", "right", "left"],
        font_path=font_path,
    )
    return path


EMPLOYER_HEADERS = ["記号・番号・枝番", "氏名", "区分", "状況"]


@dataclass(frozen=True)
class EmployerList:
    """One employer's 対象者一覧表 (its CSV file is named after the 事業所記号)."""

    symbol: str
    section: Section


def employer_sections(
    conn: Connection, *, campaign_id: int, branch_code: str, wave_code: str
) -> list[EmployerList]:
    """対象者一覧表: per employer, its staff and dependants who get a certificate in this wave
    (written out by :func:`render_employer_lists` on a worker)."""
    stmt = (
        select(
            employer.c.symbol,
            employer.c.name,
            membership.c.number,
            membership.c.branch_no,
            person.c.family_name,
            person.c.given_name,
            membership.c.relationship,
            target.c.status,
        )
        .select_from(target)
        .join(membership, membership.c.id == target.c.membership_id)
        .join(employer, employer.c.id == target.c.employer_id)
        .join(person, person.c.id == target.c.person_id)
        .where(
            target.c.campaign_id == campaign_id,
            target.c.branch_code == branch_code,
            target.c.status.in_(["enveloped", "held"]),
        )
        .order_by(
            employer.c.symbol, func.cast(membership.c.number, Integer), membership.c.branch_no
        )
    )
    by_employer: dict[tuple[str, str], list[list[str]]] = {}
    for r in conn.execute(stmt):
        rel = "本人" if r.relationship == 1 else "家族"
        state = "送付" if r.status == "enveloped" else "保留（支部で確認中）"
        by_employer.setdefault((r.symbol, r.name), []).append(
            [
                f"{r.symbol}・{r.number}・{r.branch_no}",
                f"{r.family_name}　{r.given_name}",
                rel,
                state,
            ]
        )
    if not by_employer:
        return []
    return [
        EmployerList(
            symbol=symbol,
            section=Section(
                title=f"資格確認書 対象者一覧表　{name}（事業所記号 {symbol}）",
                subtitle=f"発送回 {wave_code}：下記の方の資格確認書をご自宅へ特定記録郵便で"
                "お送りします。届かない場合は事業所あてに再送します。",
                rows=rows,
            ),
        )
        for (symbol, name), rows in by_employer.items()
    ]


def render_employer_lists(folder: str, lists: list[EmployerList], font_path: str | None) -> str:
    """Worker task: one CSV per employer (``employers/<symbol>.csv``) and every employer's
    list in one PDF (``employer-lists.pdf``), each employer from a new page. Thousands of small
    files are slow to create, so this runs on a worker, not in the process that records."""
    csv_dir = Path(folder) / "employers"
    csv_dir.mkdir(parents=True, exist_ok=True)
    for item in lists:
        with (csv_dir / f"{item.symbol}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(EMPLOYER_HEADERS)
            w.writerows(item.section.rows)
    path = Path(folder) / "employer-lists.pdf"
    render_sections(
        path,
        sections=[item.section for item in lists],
        headers=EMPLOYER_HEADERS,
        align=["left", "left", "center", "left"],
        font_path=font_path,
    )
    return str(path)


def write_exceptions(conn: Connection, *, campaign_id: int, wave_id: int, folder: Path) -> Path:
    path = folder / "exceptions.csv"
    rows = conn.execute(
        select(
            issuance_exception.c.member_key,
            issuance_exception.c.rule_id,
            issuance_exception.c.message_ja,
            issuance_exception.c.message_en,
        )
        .where(
            issuance_exception.c.campaign_id == campaign_id, issuance_exception.c.wave_id == wave_id
        )
        .order_by(issuance_exception.c.member_key)
    ).all()
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["member_key", "rule_id", "message_ja", "message_en"])
        w.writerows(rows)
    return path
