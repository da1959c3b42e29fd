"""Generic one-off documents on the same writer: titled tables across pages.

Enough for an employer's 対象者一覧表 (list of the people concerned) or a volume sheet: the
header row repeats on every page, each page carries "title — n / N", long cells shrink to fit.
``render_sections`` puts several such tables (one per employer, say) into one file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shikaku.issuance.render.canvas import A4_H_MM, A4_W_MM, PT, Canvas
from shikaku.issuance.render.font import FontUse, MissingGlyphsError, load_face, missing_glyphs
from shikaku.issuance.render.layout import BOX_TINT, INK_LABEL, RULE_GREY
from shikaku.issuance.render.model import BatchResult
from shikaku.issuance.render.pdf import PdfWriter, array, ref, string

MARGIN = 15.0
TABLE_TOP = 32.0
HEADER_H = 7.0
ROW_H = 6.0
FOOTER_Y_FROM_BOTTOM = 8.0


def _column_widths(
    c: Canvas, headers: Sequence[str], rows: Sequence[Sequence[str]], size: float, total: float
) -> list[float]:
    """Widths proportional to the widest cell of each column (sampled), filling ``total``."""
    sample = rows[:200]
    natural = []
    for i, h in enumerate(headers):
        cells = [h, *(r[i] for r in sample if i < len(r))]
        natural.append(max(c.width(x, size) for x in cells) + 3.0)
    scale = total / sum(natural)
    return [n * scale for n in natural]


@dataclass(frozen=True)
class Section:
    """One table of a multi-section document; it starts on a new page."""

    title: str
    rows: Sequence[Sequence[str]]
    subtitle: str = ""


def render_document(
    out_path: Path,
    *,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    subtitle: str = "",
    col_widths: Sequence[float] | None = None,
    align: Sequence[str] | None = None,
    landscape: bool = False,
    font_size: float = 9.0,
    font_path: Path | str | None = None,
) -> BatchResult:
    """Write a table document; ``align`` per column is ``left``/``right``/``center``."""
    return render_sections(
        out_path,
        sections=[Section(title=title, rows=rows, subtitle=subtitle)],
        headers=headers,
        col_widths=col_widths,
        align=align,
        landscape=landscape,
        font_size=font_size,
        font_path=font_path,
    )


def render_sections(
    out_path: Path,
    *,
    sections: Sequence[Section],
    headers: Sequence[str],
    col_widths: Sequence[float] | None = None,
    align: Sequence[str] | None = None,
    landscape: bool = False,
    font_size: float = 9.0,
    font_path: Path | str | None = None,
    title: str | None = None,
) -> BatchResult:
    """Several tables with the same columns in one file (say one 対象者一覧表 per employer).

    Each section starts on a new page and numbers its own pages ("title — n / N");
    ``page_ranges`` gives ``(section title, first page, last page)`` per section.
    """
    if not sections:
        raise ValueError("no sections to render")
    texts = [*headers, *(t for s in sections for t in (s.title, s.subtitle))]
    texts += [cell for s in sections for r in s.rows for cell in r]
    missing = missing_glyphs(texts, font_path)
    if missing:
        raise MissingGlyphsError({"document": missing})
    font = FontUse(load_face(font_path))
    page_w, page_h = (A4_H_MM, A4_W_MM) if landscape else (A4_W_MM, A4_H_MM)
    table_w = page_w - 2 * MARGIN
    probe = Canvas(font, page_h)
    sample = [r for s in sections for r in s.rows[:200]][:200]
    widths = (
        list(col_widths)
        if col_widths
        else _column_widths(probe, headers, sample, font_size, table_w)
    )
    aligns = list(align) if align else ["left"] * len(headers)
    per_page = max(1, int((page_h - TABLE_TOP - HEADER_H - 14.0) // ROW_H))
    media = f"[0 0 {page_w * PT:.2f} {page_h * PT:.2f}]"
    out_path = Path(out_path)
    ranges: list[tuple[str, int, int]] = []
    with PdfWriter(out_path) as w:
        pages_node, type0 = w.reserve(), w.reserve()
        resources = w.add(f"<< /Font << /F1 {ref(type0)} >> >>")
        kids: list[int] = []
        for section in sections:
            rows = section.rows
            chunks = [rows[i : i + per_page] for i in range(0, len(rows), per_page)] or [rows[:0]]
            first = len(kids) + 1
            for n, chunk in enumerate(chunks, start=1):
                c = Canvas(font, page_h)
                c.text_fit(MARGIN, 18.0, section.title, 14.0, table_w, bold=True)
                if section.subtitle:
                    c.text_fit(MARGIN, 25.0, section.subtitle, 9.0, table_w, color=INK_LABEL)
                _table(c, headers, chunk, widths, aligns, font_size)
                c.text_fit(
                    page_w / 2,
                    page_h - FOOTER_Y_FROM_BOTTOM,
                    f"{section.title} — {n} / {len(chunks)}",
                    7.5,
                    table_w,
                    align="center",
                    color=INK_LABEL,
                )
                number = w.reserve()
                content = w.add_stream("", c.content())
                w.write(
                    number,
                    f"<< /Type /Page /Parent {ref(pages_node)} /MediaBox {media} "
                    f"/Resources {ref(resources)} /Contents {ref(content)} >>",
                )
                kids.append(number)
            ranges.append((section.title, first, len(kids)))
        font.write(w, type0)
        w.write(
            pages_node, f"<< /Type /Pages /Count {len(kids)} /Kids {array(ref(k) for k in kids)} >>"
        )
        doc_title = title or sections[0].title
        info = w.add(f"<< /Producer (shikaku) /Title {string(doc_title)} >>")
        root = w.add(f"<< /Type /Catalog /Pages {ref(pages_node)} >>")
        key = "\n".join(f"{s.title}:{len(s.rows)}" for s in sections).encode()
        sha = w.finish(root=root, info=info, file_id=hashlib.sha256(key).digest()[:16])
    return BatchResult(path=out_path, pages=len(kids), page_ranges=ranges, sha256=sha)


def _table(
    c: Canvas,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    aligns: Sequence[str],
    size: float,
) -> None:
    total = sum(widths)
    y = TABLE_TOP
    c.rect(MARGIN, y, total, HEADER_H, fill=BOX_TINT)
    _row(c, y + HEADER_H - 2.0, headers, widths, ["center"] * len(headers), size, bold=True)
    y += HEADER_H
    for i, r in enumerate(rows):
        if i % 2 == 1:
            c.rect(MARGIN, y, total, ROW_H, fill=(0.975,))
        _row(c, y + ROW_H - 1.8, r, widths, aligns, size)
        y += ROW_H
    # grid: outer frame, header rule, column rules
    c.rect(MARGIN, TABLE_TOP, total, y - TABLE_TOP, stroke=RULE_GREY, line_width=0.5)
    segs = [(MARGIN, TABLE_TOP + HEADER_H, MARGIN + total, TABLE_TOP + HEADER_H)]
    x = MARGIN
    for wd in widths[:-1]:
        x += wd
        segs.append((x, TABLE_TOP, x, y))
    c.lines(segs, width=0.3, color=RULE_GREY)


def _row(
    c: Canvas,
    baseline: float,
    cells: Sequence[str],
    widths: Sequence[float],
    aligns: Sequence[str],
    size: float,
    *,
    bold: bool = False,
) -> None:
    x = MARGIN
    for cell, wd, al in zip(cells, widths, aligns, strict=False):
        pad = 1.5
        tx = {"left": x + pad, "right": x + wd - pad, "center": x + wd / 2}[al]
        c.text_fit(tx, baseline, cell, size, wd - 2 * pad, min_size=5.0, align=al, bold=bold)
        x += wd
