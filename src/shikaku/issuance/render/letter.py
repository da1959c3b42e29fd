"""The carrier letter (送付状), page 1 of every envelope.

Layout (mm from the top-left of the A4 sheet; see :class:`~.layout.Window`):

- top right: the date and the sender block (organisation, branch, address, telephone);
- the window (default 20–110 × 12–57): a one-line return address, 〒 and address lines, the
  addressee's name with 様, the customer barcode under the name, a QR code with the mail-piece
  id and a 「資格確認書在中」 mark at the right;
- title and body text (static), the enclosures box (names of the people whose certificates are
  enclosed — names only, never a My Number — and the flyer), the inquiry box, fold marks.

The static part is drawn once per file into a Form XObject (:func:`draw_template`); each page
adds only :func:`draw_variable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from shikaku.domain.ids.customer_barcode import BarSize, normalize_postal_code
from shikaku.issuance.render.canvas import Canvas
from shikaku.issuance.render.layout import (
    ACCENT,
    BOX_TINT,
    FOLD_MARKS,
    INK_LABEL,
    RULE_GREY,
    Window,
    wareki,
    wrap,
)
from shikaku.issuance.render.model import Envelope, LetterText, SenderBlock

LEFT = 20.0
RIGHT = 190.0
SENDER_X = 122.0
BODY_SIZE = 9.6
BODY_LEADING = 5.4
ENCLOSURE_TOP = 158.0
ENCLOSURE_H = 38.0  # ends above the lower fold (198 mm)
CONTACT_TOP = 210.0
CONTACT_H = 30.0
NAME_COLUMNS = 3
NAME_ROWS = 3
QR_SIZE = 13.0
BARCODE_POINTS = 10.0  # Japan Post's reference size: long bar 3.6 mm


def _postal(code: str) -> str:
    digits = normalize_postal_code(code)
    return f"〒{digits[:3]}-{digits[3:]}"


def captioned_qr(
    c: Canvas,
    x: float,
    top: float,
    size: float,
    value: str,
    *,
    caption_y: float,
    caption_width: float,
) -> None:
    """A QR code of *value* with *value* printed under it (the mail room reads either)."""
    c.qr(x, top, size, value, quiet=2)
    c.text_fit(
        x + size / 2,
        caption_y,
        value,
        5.0,
        caption_width,
        min_size=3.5,
        align="center",
        color=INK_LABEL,
    )


def enclosure_mark(c: Canvas, right: float, top: float) -> None:
    """「資格確認書在中」 boxed in the accent colour, its right edge at *right* (mm)."""
    mark = "資格確認書在中"
    mw = c.width(mark, 6.5) + 2.0
    c.rect(right - mw, top, mw, 4.2, stroke=ACCENT, line_width=0.5)
    c.text(right - mw / 2, top + 3.1, mark, 6.5, align="center", color=ACCENT)


def draw_template(c: Canvas, text: LetterText) -> None:
    """Everything on the letter that is the same for every envelope of the file."""
    # fold marks in the left margin (A4 in three)
    c.lines([(3.0, y, 7.0, y) for y in FOLD_MARKS], width=0.4, color=RULE_GREY)
    # title and body
    c.text(105.0, 72.0, text.title, 15.0, bold=True, align="center")
    c.line(LEFT + 25, 74.5, RIGHT - 25, 74.5, width=0.6, color=RULE_GREY)
    y = 84.0
    width = RIGHT - LEFT
    for i, para in enumerate(text.paragraphs):
        body = para if i == 0 else "　" + para
        for line in wrap(body, width, BODY_SIZE, c.font.face):
            c.text(LEFT, y, line, BODY_SIZE)
            y += BODY_LEADING
        y += 1.2
    c.text(RIGHT, y, text.closing, BODY_SIZE, align="right")
    if y > ENCLOSURE_TOP - 4.0:
        raise ValueError("letter text too long: it runs into the enclosures box")
    # enclosures box: tinted heading band and frame; the contents vary
    c.rect(LEFT, ENCLOSURE_TOP, RIGHT - LEFT, 7.0, fill=BOX_TINT)
    c.rect(LEFT, ENCLOSURE_TOP, RIGHT - LEFT, ENCLOSURE_H, stroke=RULE_GREY, line_width=0.6)
    c.text(LEFT + 3, ENCLOSURE_TOP + 5.0, text.enclosure_heading, 10.0, bold=True)
    c.text(LEFT + 3, ENCLOSURE_TOP + 13.0, "■ " + text.certificate_heading, 9.5)
    # inquiry box
    c.rect(LEFT, CONTACT_TOP, RIGHT - LEFT, 7.0, fill=BOX_TINT)
    c.rect(LEFT, CONTACT_TOP, RIGHT - LEFT, CONTACT_H, stroke=RULE_GREY, line_width=0.6)
    c.text(LEFT + 3, CONTACT_TOP + 5.0, "お問い合わせ先", 10.0, bold=True)
    c.text(
        LEFT + 3,
        CONTACT_TOP + 26.5,
        "外国語でのお問い合わせにも対応しています。"
        "Inquiries in English and other languages are welcome.",
        7.5,
        color=INK_LABEL,
    )
    c.text(LEFT, 250.0, "このお知らせと資格確認書は大切に保管してください。", 7.5, color=INK_LABEL)


def sender_ops(c: Canvas, s: SenderBlock) -> None:
    """The sender block at the top right (drawn once per distinct sender and reused)."""
    y = 21.0
    c.text_fit(SENDER_X, y, s.org_name, 11.5, RIGHT - SENDER_X, bold=True)
    y += 5.5
    c.text_fit(
        SENDER_X, y, " ".join(p for p in (s.branch_name, s.department) if p), 10.0, RIGHT - SENDER_X
    )
    y += 5.5
    c.text(SENDER_X, y, _postal(s.postal_code), 8.0)
    for line in s.address_lines:
        y += 4.0
        c.text_fit(SENDER_X, y, line, 8.0, RIGHT - SENDER_X)
    y += 4.5
    c.text(SENDER_X, y, f"TEL {s.phone}", 8.0)
    if s.phone_hours:
        c.text_fit(
            SENDER_X + c.width(f"TEL {s.phone}", 8.0) + 2,
            y,
            f"（{s.phone_hours}）",
            7.0,
            RIGHT - SENDER_X - c.width(f"TEL {s.phone}", 8.0) - 2,
        )


def contact_ops(c: Canvas, s: SenderBlock) -> None:
    """The variable lines of the inquiry box (per sender)."""
    top = CONTACT_TOP
    c.text_fit(
        LEFT + 5,
        top + 13.5,
        f"{s.org_name}　{s.branch_name}" + (f"　{s.department}" if s.department else ""),
        10.0,
        RIGHT - LEFT - 10,
    )
    tel = f"電話 {s.phone}" + (f"（受付時間 {s.phone_hours}）" if s.phone_hours else "")
    c.text_fit(LEFT + 5, top + 19.5, tel, 10.0, RIGHT - LEFT - 10, bold=True)
    if s.website:
        c.text_fit(LEFT + 5, top + 23.5, s.website, 7.5, RIGHT - LEFT - 10)


def return_address(s: SenderBlock) -> str:
    return (
        f"差出人 {_postal(s.postal_code)} {''.join(s.address_lines)} {s.org_name} {s.branch_name}"
    )


def draw_variable(
    c: Canvas,
    env: Envelope,
    *,
    letter_date: date,
    window: Window,
    sender_ref: str | None,
    flyer_line: str,
    pages: int,
) -> None:
    """The per-envelope part of the letter; ``sender_ref`` names a shared sender XObject."""
    w = window
    c.text(RIGHT, 12.0, wareki(letter_date), 9.0, align="right")
    if sender_ref is not None:
        c.do(sender_ref)
    else:  # pragma: no cover - the batch always shares senders
        sender_ops(c, env.sender)
        contact_ops(c, env.sender)
    # --- window ---
    x = w.inner_left
    qr_x = w.inner_right - QR_SIZE
    text_right = qr_x - 4.0
    c.text_fit(
        x,
        w.inner_top + 1.8,
        return_address(env.sender),
        5.5,
        w.inner_right - x,
        min_size=4.5,
        color=INK_LABEL,
    )
    c.text(x, w.inner_top + 7.5, _postal(env.postal_code), 10.5)
    y = w.inner_top + 7.5
    for line in list(env.address_lines)[:3]:
        y += 4.6
        c.text_fit(x, y, line, 10.0, text_right - x, min_size=7.0)
    name_y = w.inner_top + 27.0
    c.text_fit(
        x, name_y, f"{env.addressee_name}　様", 14.0, w.inner_right - x, min_size=9.0, bold=True
    )
    if env.barcode_symbols:
        c.customer_barcode(
            x, w.inner_bottom - 2.0, env.barcode_symbols, size=BarSize(BARCODE_POINTS)
        )
    captioned_qr(
        c,
        qr_x,
        w.inner_top + 3.0,
        QR_SIZE,
        env.piece_id,
        caption_y=w.inner_top + QR_SIZE + 5.0,
        caption_width=QR_SIZE + 4,
    )
    enclosure_mark(c, w.inner_right, w.inner_top + QR_SIZE + 6.5)
    # --- enclosures ---
    names = [m.name for m in env.members]
    c.text(RIGHT - 4, ENCLOSURE_TOP + 13.0, f"{len(names)}枚", 9.5, align="right")
    _name_grid(c, names)
    if env.flyer:
        c.text(LEFT + 3, ENCLOSURE_TOP + ENCLOSURE_H - 3.2, "■ " + flyer_line, 9.5)
        c.text(RIGHT - 4, ENCLOSURE_TOP + ENCLOSURE_H - 3.2, "1枚", 9.5, align="right")
    c.text(LEFT, 290.0, f"{env.piece_id}　1/{pages}", 6.0, color=INK_LABEL)


def _name_grid(c: Canvas, names: Sequence[str]) -> None:
    """Names of the certificates enclosed, three columns, with 「ほか n名」 on overflow."""
    cap = NAME_COLUMNS * NAME_ROWS
    shown = list(names) if len(names) <= cap else list(names[: cap - 1])
    col_w = (RIGHT - LEFT - 14) / NAME_COLUMNS
    for i, n in enumerate(shown):
        row, col = divmod(i, NAME_COLUMNS)
        c.text_fit(
            LEFT + 8 + col * col_w,
            ENCLOSURE_TOP + 18.5 + row * 4.6,
            f"{n} 様",
            9.5,
            col_w - 3,
            min_size=6.5,
        )
    if len(names) > cap:
        row, col = divmod(cap - 1, NAME_COLUMNS)
        c.text(
            LEFT + 8 + col * col_w,
            ENCLOSURE_TOP + 18.5 + row * 4.6,
            f"ほか {len(names) - cap + 1}名",
            9.5,
        )
