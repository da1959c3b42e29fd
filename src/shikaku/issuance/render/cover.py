"""The cover letter (送付書) of an employer envelope: certificates that came back undeliverable
from members' homes are sent again to the employer (事業所宛) for hand-over.

Same writer, font, canvas and window geometry as the carrier letter. Page 1: date and sender
block, the window (return address, employer's address, 「事業主 様」, a QR code with the
envelope id), why these certificates come to the employer, the table of enclosed members
(記号・番号・枝番, name, 本人/家族, piece id, a tick box for the hand-over) and the inquiry
box; long tables continue on further pages. Any number of envelopes go into one file (one
print job), each starting on a new page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shikaku.issuance.render import letter
from shikaku.issuance.render.canvas import A4_H_PT, A4_W_PT, Canvas
from shikaku.issuance.render.font import FontUse, MissingGlyphsError, load_face, missing_glyphs
from shikaku.issuance.render.layout import (
    BOX_TINT,
    DEFAULT_WINDOW,
    FOLD_MARKS,
    INK_LABEL,
    RULE_GREY,
    Window,
    wareki,
    wrap,
)
from shikaku.issuance.render.model import BatchResult, SenderBlock
from shikaku.issuance.render.pdf import PdfWriter, array, ref, string

LEFT, RIGHT = letter.LEFT, letter.RIGHT
MEDIA_BOX = f"[0 0 {A4_W_PT:.2f} {A4_H_PT:.2f}]"
TITLE = "健康保険資格確認書の送付について（お渡しのお願い）"
BODY_SIZE = 9.2
BODY_LEADING = 4.9
ROW_H = 5.6
HEAD_H = 6.5
FIRST_TABLE_TOP = 122.0
FIRST_TABLE_BOTTOM = letter.CONTACT_TOP - 4.0
NEXT_TABLE_TOP = 34.0
NEXT_TABLE_BOTTOM = 280.0
QR_SIZE = 15.0
COLUMNS = (
    ("No.", 10.0, "center"),
    ("記号・番号・枝番", 40.0, "left"),
    ("氏名", 50.0, "left"),
    ("区分", 14.0, "center"),
    ("管理番号", 36.0, "left"),
    ("お渡し済", 20.0, "center"),
)
PARAGRAPHS = (
    "平素より全国健康保険協会（協会けんぽ）の事業運営にご理解とご協力を賜り、厚くお礼申し上げます。",
    "下記の従業員（被保険者）の方に、健康保険資格確認書をご自宅あてに特定記録郵便でお送りしましたが、"
    "あて所に尋ねあたらない等の理由により当支部へ返送されました。",
    "つきましては、同封の封筒（資格確認書在中）を、各従業員の方へ速やかにお渡しくださいますよう"
    "お願いいたします。ご家族（被扶養者）の資格確認書も同じ封筒に入っています。"
    "お渡しの際は、ご自宅の住所をご確認いただくようお伝えください。",
    "既に退職された方など、お渡しできない分は、同封の返信用封筒で当支部へご返送ください。",
)


@dataclass(frozen=True)
class CoverMember:
    """One certificate in the envelope (names only; never a My Number)."""

    member_key: str  # 記号・番号・枝番
    name: str
    relationship: str  # 本人 / 家族
    piece_id: str  # the re-routed piece carrying it


@dataclass(frozen=True)
class CoverLetter:
    """One employer envelope."""

    envelope_id: str
    postal_code: str
    address_lines: Sequence[str]
    employer_name: str
    employer_symbol: str
    members: Sequence[CoverMember]
    sender: SenderBlock
    letter_date: date
    pieces: int


def cover_texts(cl: CoverLetter) -> Iterator[str]:
    """Every variable string of a cover letter drawn with the font (for the glyph check)."""
    s = cl.sender
    yield from (cl.envelope_id, cl.employer_name, cl.employer_symbol, *cl.address_lines)
    yield from (s.org_name, s.branch_name, s.department, s.phone, s.phone_hours, s.website)
    yield from s.address_lines
    for m in cl.members:
        yield from (m.member_key, m.name, m.relationship, m.piece_id)


def check_cover_glyphs(
    letters: Sequence[CoverLetter], font_path: Path | str | None = None
) -> dict[str, set[str]]:
    """Envelope id → characters the font lacks (render nothing for those)."""
    out: dict[str, set[str]] = {}
    for cl in letters:
        bad = missing_glyphs(cover_texts(cl), font_path)
        if bad:
            out[cl.envelope_id] = bad
    return out


def _first_page_rows() -> int:
    return int((FIRST_TABLE_BOTTOM - FIRST_TABLE_TOP - HEAD_H) // ROW_H)


def _next_page_rows() -> int:
    return int((NEXT_TABLE_BOTTOM - NEXT_TABLE_TOP - HEAD_H) // ROW_H)


def pages_for(members: int) -> int:
    """Pages a cover letter with ``members`` rows takes."""
    rest = max(0, members - _first_page_rows())
    return 1 + -(-rest // _next_page_rows())


def _table(c: Canvas, top: float, rows: Sequence[tuple[int, CoverMember]]) -> None:
    width = sum(w for _, w, _ in COLUMNS)
    c.rect(LEFT, top, width, HEAD_H, fill=BOX_TINT)
    x = LEFT
    for head, w, _ in COLUMNS:
        c.text_fit(x + w / 2, top + HEAD_H - 1.9, head, 8.5, w - 2, align="center", bold=True)
        x += w
    y = top + HEAD_H
    for n, m in rows:
        cells = (str(n), m.member_key, f"{m.name} 様", m.relationship, m.piece_id, "□")
        x = LEFT
        for (_, w, al), cell in zip(COLUMNS, cells, strict=True):
            tx = {"left": x + 1.5, "center": x + w / 2}[al]
            c.text_fit(tx, y + ROW_H - 1.6, cell, 8.8, w - 3, min_size=5.5, align=al)
            x += w
        y += ROW_H
    c.rect(LEFT, top, width, y - top, stroke=RULE_GREY, line_width=0.5)
    segs = [(LEFT, top + HEAD_H, LEFT + width, top + HEAD_H)]
    segs += [(LEFT, yy, LEFT + width, yy) for yy in _row_lines(top + HEAD_H, len(rows))]
    x = LEFT
    for _, w, _ in COLUMNS[:-1]:
        x += w
        segs.append((x, top, x, y))
    c.lines(segs, width=0.25, color=RULE_GREY)


def _row_lines(first: float, n: int) -> list[float]:
    return [first + i * ROW_H for i in range(1, n)]


def _window(c: Canvas, cl: CoverLetter, w: Window) -> None:
    x = w.inner_left
    qr_x = w.inner_right - QR_SIZE
    text_right = qr_x - 3.0
    c.text_fit(
        x,
        w.inner_top + 1.8,
        letter.return_address(cl.sender),
        5.5,
        w.inner_right - x,
        min_size=4.5,
        color=INK_LABEL,
    )
    c.text(x, w.inner_top + 7.5, letter._postal(cl.postal_code), 10.5)
    y = w.inner_top + 7.5
    for line in list(cl.address_lines)[:2]:
        y += 4.6
        c.text_fit(x, y, line, 10.0, text_right - x, min_size=7.0)
    c.text_fit(x, w.inner_top + 22.0, cl.employer_name, 12.0, text_right - x, min_size=8.0)
    c.text_fit(x, w.inner_top + 28.5, "事業主　様", 13.0, text_right - x, bold=True)
    c.text(x, w.inner_top + 34.0, f"事業所記号 {cl.employer_symbol}", 7.5, color=INK_LABEL)
    letter.captioned_qr(
        c,
        qr_x,
        w.inner_top + 2.0,
        QR_SIZE,
        cl.envelope_id,
        caption_y=w.inner_top + QR_SIZE + 4.5,
        caption_width=QR_SIZE + 5,
    )
    letter.enclosure_mark(c, w.inner_right, w.inner_top + QR_SIZE + 6.0)


def _first_page(
    c: Canvas, cl: CoverLetter, rows: Sequence[tuple[int, CoverMember]], pages: int, w: Window
) -> None:
    c.lines([(3.0, y, 7.0, y) for y in FOLD_MARKS], width=0.4, color=RULE_GREY)
    c.text(RIGHT, 12.0, wareki(cl.letter_date), 9.0, align="right")
    letter.sender_ops(c, cl.sender)
    _window(c, cl, w)
    c.text(105.0, 66.0, TITLE, 13.5, bold=True, align="center")
    c.line(LEFT + 15, 68.5, RIGHT - 15, 68.5, width=0.6, color=RULE_GREY)
    y = 76.0
    for i, para in enumerate(PARAGRAPHS):
        for line in wrap(para if i == 0 else "　" + para, RIGHT - LEFT, BODY_SIZE, c.font.face):
            c.text(LEFT, y, line, BODY_SIZE)
            y += BODY_LEADING
        y += 0.8
    if y > FIRST_TABLE_TOP - 6.0:
        raise ValueError("cover letter text too long: it runs into the table")
    c.text(
        LEFT,
        FIRST_TABLE_TOP - 2.0,
        f"同封物：資格確認書在中の封筒 {cl.pieces} 通（{len(cl.members)} 名分）・返信用封筒 1 通",
        9.2,
        bold=True,
    )
    _table(c, FIRST_TABLE_TOP, rows)
    c.rect(LEFT, letter.CONTACT_TOP, RIGHT - LEFT, 7.0, fill=BOX_TINT)
    c.rect(
        LEFT, letter.CONTACT_TOP, RIGHT - LEFT, letter.CONTACT_H, stroke=RULE_GREY, line_width=0.6
    )
    c.text(LEFT + 3, letter.CONTACT_TOP + 5.0, "お問い合わせ先", 10.0, bold=True)
    letter.contact_ops(c, cl.sender)
    _footer(c, cl, 1, pages)


def _next_page(
    c: Canvas, cl: CoverLetter, rows: Sequence[tuple[int, CoverMember]], n: int, pages: int
) -> None:
    c.text(LEFT, 20.0, f"{TITLE}（続き）", 11.0, bold=True)
    c.text_fit(
        LEFT, 27.0, f"{cl.employer_name}　事業主 様　（事業所記号 {cl.employer_symbol}）", 9.0, 150
    )
    _table(c, NEXT_TABLE_TOP, rows)
    _footer(c, cl, n, pages)


def _footer(c: Canvas, cl: CoverLetter, n: int, pages: int) -> None:
    c.text(LEFT, 290.0, f"送付書 {cl.envelope_id}　{n}/{pages}", 6.0, color=INK_LABEL)


def render_cover_letters(
    letters: Sequence[CoverLetter],
    out_path: Path,
    *,
    font_path: Path | str | None = None,
    window: Window = DEFAULT_WINDOW,
    title: str = "資格確認書 事業所あて送付書",
) -> BatchResult:
    """Write the cover letters into one PDF; ``page_ranges`` gives each envelope's pages.

    Raises :class:`MissingGlyphsError` before writing anything when a text has a character
    the font lacks, ``ValueError`` for no letters or a letter without members."""
    if not letters:
        raise ValueError("no cover letters to render")
    for cl in letters:
        if not cl.members:
            raise ValueError(f"envelope {cl.envelope_id} has no members")
    missing = check_cover_glyphs(letters, font_path)
    if missing:
        raise MissingGlyphsError(missing)
    font = FontUse(load_face(font_path))
    out_path = Path(out_path)
    first_n, next_n = _first_page_rows(), _next_page_rows()
    with PdfWriter(out_path) as w:
        pages_node, type0 = w.reserve(), w.reserve()
        resources = w.add(f"<< /Font << /F1 {ref(type0)} >> >>")
        kids: list[int] = []
        ranges: list[tuple[str, int, int]] = []
        for cl in letters:
            numbered = list(enumerate(cl.members, start=1))
            chunks = [numbered[:first_n]] + [
                numbered[i : i + next_n] for i in range(first_n, len(numbered), next_n)
            ]
            start = len(kids) + 1
            for n, chunk in enumerate(chunks, start=1):
                c = Canvas(font)
                if n == 1:
                    _first_page(c, cl, chunk, len(chunks), window)
                else:
                    _next_page(c, cl, chunk, n, len(chunks))
                number = w.reserve()
                content = w.add_stream("", c.content())
                w.write(
                    number,
                    f"<< /Type /Page /Parent {ref(pages_node)} /MediaBox {MEDIA_BOX} "
                    f"/Resources {ref(resources)} /Contents {ref(content)} >>",
                )
                kids.append(number)
            ranges.append((cl.envelope_id, start, len(kids)))
        font.write(w, type0)
        w.write(
            pages_node, f"<< /Type /Pages /Count {len(kids)} /Kids {array(ref(k) for k in kids)} >>"
        )
        info = w.add(f"<< /Producer (shikaku) /Title {string(title)} >>")
        root = w.add(f"<< /Type /Catalog /Pages {ref(pages_node)} >>")
        key = "\n".join(cl.envelope_id for cl in letters).encode()
        sha = w.finish(root=root, info=info, file_id=hashlib.sha256(key).digest()[:16])
    return BatchResult(path=out_path, pages=len(kids), page_ranges=ranges, sha256=sha)
