"""Dates, line breaking and the sheet grid."""

from __future__ import annotations

from datetime import date

import pytest

from shikaku.issuance.render import wareki
from shikaku.issuance.render.layout import (
    CARD_H,
    CARD_W,
    CARDS_PER_SHEET,
    CROP_LEN,
    CROP_OFFSET,
    NO_START,
    card_origin,
    wrap,
)

from .support import needs_font


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2025, 8, 1), "令和7年8月1日（2025年）"),
        (date(2019, 5, 1), "令和元年5月1日（2019年）"),
        (date(2019, 4, 30), "平成31年4月30日（2019年）"),
        (date(1989, 1, 8), "平成元年1月8日（1989年）"),
        (date(1989, 1, 7), "昭和64年1月7日（1989年）"),
        (date(1955, 3, 31), "昭和30年3月31日（1955年）"),
    ],
)
def test_wareki(d: date, text: str) -> None:
    assert wareki(d) == text


@needs_font
def test_wrap_never_starts_a_line_with_punctuation() -> None:
    from shikaku.issuance.render.font import load_face

    face = load_face()
    text = "あ" * 9 + "。" + "い" * 9 + "、「う」" * 5
    lines = wrap(text, 10 * 3.528, 10.0, face)  # about 10 characters per line
    assert "".join(lines) == text
    assert all(line[0] not in NO_START for line in lines if line)
    assert not any(line.endswith("「") for line in lines)


def test_cards_fit_the_sheet_without_overlapping_crop_marks() -> None:
    margin = CROP_OFFSET + CROP_LEN
    boxes = [card_origin(i) for i in range(CARDS_PER_SHEET)]
    for x, y in boxes:
        assert x - margin >= 5.0 and x + CARD_W + margin <= 205.0
        assert y + CARD_H + margin <= 287.0
    (x0, y0), (x1, _), (_, y2) = boxes[0], boxes[1], boxes[2]
    assert x1 - (x0 + CARD_W) > 2 * margin  # gutters leave the neighbours' marks apart
    assert y2 - (y0 + CARD_H) > 2 * margin
