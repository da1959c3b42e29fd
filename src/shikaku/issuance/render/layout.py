"""Page geometry, date format and line breaking shared by the letter, the cards and tables.

All lengths are millimetres from the top-left corner of an A4 portrait page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from shikaku.domain.dates import ERAS
from shikaku.issuance.render.font import FontFace
from shikaku.issuance.render.model import LetterText

# --- the address window ----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Where the envelope window falls on the A4 sheet once it is folded and inserted.

    The default assumes a stock 長3 window envelope (120 × 235 mm) taking an A4 sheet folded in
    three (address panel 0–99 mm from the top) with the window 90 × 45 mm, its top-left
    corner 20 mm from the left edge and 12 mm from the top edge of the sheet. Window envelopes
    differ between makers: take the numbers from the envelope's specification sheet.
    ``margin`` keeps text clear of the window edge when the sheet moves in the envelope.
    """

    left: float = 20.0
    top: float = 12.0
    width: float = 90.0
    height: float = 45.0
    margin: float = 3.5

    @property
    def inner_left(self) -> float:
        return self.left + self.margin

    @property
    def inner_top(self) -> float:
        return self.top + self.margin

    @property
    def inner_right(self) -> float:
        return self.left + self.width - self.margin

    @property
    def inner_bottom(self) -> float:
        return self.top + self.height - self.margin


DEFAULT_WINDOW: Final = Window()
FOLD_MARKS: Final = (99.0, 198.0)  # A4 in three: fold lines from the top edge

# --- certificate sheet -----------------------------------------------------------------------

CARD_W: Final = 85.6  # ISO/IEC 7810 ID-1, the size of the old health insurance card
CARD_H: Final = 54.0
CARD_COLS: Final = 2
CARD_ROWS: Final = 4
CARDS_PER_SHEET: Final = CARD_COLS * CARD_ROWS
CARD_GAP: Final = 10.0  # between cards, room for the crop marks of both neighbours
CARD_TOP: Final = 31.0
CARD_LEFT: Final = (210.0 - CARD_COLS * CARD_W - (CARD_COLS - 1) * CARD_GAP) / 2  # 14.4
CROP_OFFSET: Final = 1.5  # crop marks start this far outside the card edge …
CROP_LEN: Final = 3.0  # … and are this long


def card_origin(slot: int) -> tuple[float, float]:
    """Top-left corner of card ``slot`` (0–7, row by row) on a certificate sheet."""
    row, col = divmod(slot, CARD_COLS)
    return CARD_LEFT + col * (CARD_W + CARD_GAP), CARD_TOP + row * (CARD_H + CARD_GAP)


# --- colours (CMYK for the print shop) -------------------------------------------------------

CARD_YELLOW: Final = (0.0, 0.06, 0.45, 0.0)
CARD_BAND: Final = (0.0, 0.22, 0.85, 0.0)
INK_DARK: Final = (0.0, 0.0, 0.0, 0.9)
INK_LABEL: Final = (0.0, 0.0, 0.0, 0.65)
ACCENT: Final = (0.0, 0.85, 0.75, 0.05)  # red, used sparingly (在中, 有効期限)
RULE_GREY: Final = (0.55,)
BOX_TINT: Final = (0.94,)

# --- dates -----------------------------------------------------------------------------------


def wareki(d: date) -> str:
    """``令和7年8月1日（2025年）``: the Japanese era date with the western year after it.

    Used for every date the renderer prints, so letters and cards read the same way.
    """
    era = next(e for e in ERAS if d >= e.first_day)
    year = d.year - era.first_day.year + 1
    y = "元" if year == 1 else str(year)
    return f"{era.name_ja}{y}年{d.month}月{d.day}日（{d.year}年）"


# --- line breaking ---------------------------------------------------------------------------

#: characters that must not start a line (行頭禁則) and must not end one (行末禁則)
NO_START: Final = set(
    "、。，．・：；？！ー）」』】〕〉》”’ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
)
NO_END: Final = set("（「『【〔〈《“‘")


def wrap(text: str, width_mm: float, size: float, face: FontFace) -> list[str]:
    """Break Japanese text into lines of at most ``width_mm`` at ``size`` points.

    Breaks between any two characters, except that punctuation never starts a line (it hangs
    into the margin instead, ぶら下げ) and opening brackets never end one.
    """
    pt_per_mm = 72.0 / 25.4
    limit = width_mm * pt_per_mm * 1000.0 / size  # in 1/1000 em
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0.0
        for ch in para:
            w = face.width.get(ch, 1000.0)
            if line and used + w > limit and ch not in NO_START:
                carry = ""
                while line and line[-1] in NO_END:
                    carry = line[-1] + carry
                    line = line[:-1]
                lines.append(line)
                line = carry
                used = sum(face.width.get(c, 1000.0) for c in line)
            line += ch
            used += w
        lines.append(line)
    return lines


# --- default wording -------------------------------------------------------------------------


def default_letter_text(legacy_card_last_day: date = date(2025, 12, 1)) -> LetterText:
    """The carrier letter's wording; the cut-off date comes from policy configuration."""
    last = wareki(legacy_card_last_day)
    return LetterText(
        title="健康保険資格確認書の送付について",
        paragraphs=(
            "拝啓　平素より全国健康保険協会（協会けんぽ）の事業運営にご理解とご協力を賜り、"
            "厚くお礼申し上げます。",
            "マイナンバーカードを健康保険証として利用する「マイナ保険証」をお持ちでない方などに、"
            "医療機関・薬局で受診するときに必要な「健康保険資格確認書」をお送りします。"
            "ご家族（被扶養者）の資格確認書も同封しています。",
            f"お手元の健康保険証は{last}を過ぎると使えなくなります。"
            "受診の際は、マイナ保険証または同封の資格確認書を窓口で提示してください。"
            "資格確認書は、協会けんぽの資格がある間、記載の有効期限まで使えます。",
            "記載内容に誤りがある場合や、退職などにより協会けんぽの資格がなくなった方の"
            "資格確認書が入っている場合は、下記のお問い合わせ先までご連絡ください。",
            "協会けんぽが電話やメールで個人番号（マイナンバー）や口座番号をお尋ねすることは"
            "ありません。",
        ),
    )
