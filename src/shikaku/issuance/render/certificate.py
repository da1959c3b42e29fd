"""Certificate sheets: up to 8 card-size (85.6 × 54 mm) 健康保険資格確認書 per A4 page.

Cards sit in a 2 × 4 grid with 10 mm gutters and crop marks (トンボ) at every corner, so a
guillotine or a card cutter can separate them. The card face (yellow tint, title band, labels,
crop marks) is one Form XObject drawn at each card position; per card only the values and the
QR code are added. Printed items follow shared/domain.md §1.2: name (with kana), birth date,
sex, 記号・番号・枝番, 保険者番号, insurer name, issue date and 有効期限; no copayment share.
"""

from __future__ import annotations

from shikaku.issuance.render.canvas import Canvas
from shikaku.issuance.render.layout import (
    ACCENT,
    CARD_BAND,
    CARD_H,
    CARD_LEFT,
    CARD_W,
    CARD_YELLOW,
    CROP_LEN,
    CROP_OFFSET,
    INK_DARK,
    INK_LABEL,
    card_origin,
    wareki,
)
from shikaku.issuance.render.model import CertificateData

TITLE = "健康保険資格確認書"
#: One QR code per certificate: the fast C++ encoder (see canvas.qr_matrix).
QR_ENCODER = "zxing"
LABEL_X = 3.5
VALUE_X = 17.0
QR_SIZE = 15.0
QR_X = CARD_W - QR_SIZE - 2.0
QR_Y = CARD_H - QR_SIZE - 2.5
# baselines of the rows, from the top of the card
Y_SYMBOL, Y_KANA, Y_NAME, Y_BIRTH = 14.0, 19.2, 25.2, 31.5
Y_ISSUE, Y_VALID, Y_INSURER_NO, Y_INSURER = 37.0, 42.5, 47.5, 52.0


def draw_sheet_template(c: Canvas, heading: str) -> None:
    """Header of a certificate sheet (same on every sheet)."""
    c.text(CARD_LEFT, 15.0, heading, 13.0, bold=True)
    c.text(
        CARD_LEFT,
        21.0,
        "角の線（トンボ）に沿って切り取り、医療機関・薬局の窓口で提示してください。"
        "資格確認書は1人に1枚です。",
        8.0,
        color=INK_LABEL,
    )
    c.text(
        CARD_LEFT,
        25.5,
        "資格がなくなった後や有効期限を過ぎた後は使えません。"
        "紛失したときは、お問い合わせ先までご連絡ください。",
        8.0,
        color=INK_LABEL,
    )


def draw_card_template(c: Canvas) -> None:
    """The face of one card at slot 0: tint, title band, labels and crop marks."""
    x, y = card_origin(0)
    c.rect(x, y, CARD_W, CARD_H, fill=CARD_YELLOW)
    c.rect(x, y, CARD_W, 8.5, fill=CARD_BAND)
    c.text(x + LABEL_X, y + 6.1, TITLE, 10.5, bold=True, color=INK_DARK)
    label = 5.8
    for text, row, lx in (
        ("記号", Y_SYMBOL, LABEL_X),
        ("番号", Y_SYMBOL, 41.0),
        ("枝番", Y_SYMBOL, 62.0),
        ("フリガナ", Y_KANA, LABEL_X),
        ("氏名", Y_NAME, LABEL_X),
        ("生年月日", Y_BIRTH, LABEL_X),
        ("性別", Y_BIRTH, 63.0),
        ("交付年月日", Y_ISSUE, LABEL_X),
        ("有効期限", Y_VALID, LABEL_X),
        ("保険者番号", Y_INSURER_NO, LABEL_X),
        ("保険者名称", Y_INSURER, LABEL_X),
    ):
        c.text(x + lx, y + row, text, label, color=INK_LABEL)
    c.lines(
        [
            (x + LABEL_X, y + Y_NAME + 2.0, x + CARD_W - LABEL_X, y + Y_NAME + 2.0),
            (x + LABEL_X, y + Y_VALID + 1.8, x + QR_X - 2.0, y + Y_VALID + 1.8),
        ],
        width=0.35,
        color=CARD_BAND,
    )
    _crop_marks(c, x, y)


def _crop_marks(c: Canvas, x: float, y: float) -> None:
    o, n = CROP_OFFSET, CROP_LEN
    segs = []
    for cx, sx in ((x, -1), (x + CARD_W, 1)):
        for cy, sy in ((y, -1), (y + CARD_H, 1)):
            segs.append((cx + sx * o, cy, cx + sx * (o + n), cy))  # horizontal arm
            segs.append((cx, cy + sy * o, cx, cy + sy * (o + n)))  # vertical arm
    c.lines(segs, width=0.25, color=(0.0,))


def draw_card(c: Canvas, slot: int, card: CertificateData, template: str) -> None:
    """One card: the shared face plus this person's values and QR code."""
    x, y = card_origin(slot)
    x0, y0 = card_origin(0)
    c.do(template, x - x0, y - y0)
    v = x + VALUE_X
    c.text(v, y + Y_SYMBOL, card.symbol, 9.5)
    c.text(x + 48.0, y + Y_SYMBOL, card.number, 9.5)
    c.text(x + 69.0, y + Y_SYMBOL, card.branch_no, 9.5)
    c.text_fit(v, y + Y_KANA, card.name_kana, 7.0, CARD_W - VALUE_X - 3.5, min_size=5.0)
    c.text_fit(v, y + Y_NAME, card.name, 12.5, CARD_W - VALUE_X - 3.5, min_size=8.0, bold=True)
    c.text(v, y + Y_BIRTH, wareki(card.birth_date), 8.0)
    c.text(x + 69.0, y + Y_BIRTH, card.sex, 8.0)
    c.text(v, y + Y_ISSUE, wareki(card.issue_date), 8.0)
    c.text(v, y + Y_VALID, wareki(card.valid_to), 8.5, bold=True, color=ACCENT)
    c.text(v, y + Y_INSURER_NO, card.insurer_number, 8.5)
    c.text_fit(v, y + Y_INSURER, card.insurer_name, 7.5, QR_X - VALUE_X - 1.5, min_size=5.0)
    c.qr(x + QR_X, y + QR_Y, QR_SIZE, card.qr_payload, quiet=2, encoder=QR_ENCODER)
