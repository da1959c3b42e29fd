"""Font handling: glyph coverage, subsetting with kept glyph ids, ToUnicode, widths."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont

from shikaku.issuance.render import missing_glyphs
from shikaku.issuance.render.font import (
    DEFAULT_WIDTH,
    FontUse,
    _to_unicode_cmap,
    _widths,
    load_face,
    subset_font,
)

from .support import needs_font

pytestmark = needs_font


def test_missing_glyphs_reports_rare_and_private_use_characters() -> None:
    texts = ["吉田 太郎", "𠮷田 花子", "\ue000", "髙橋\n﨑", "タロウ"]
    assert missing_glyphs(texts) == {"𠮷", "\ue000"}
    assert missing_glyphs([]) == set()


def test_subset_keeps_glyph_ids_and_is_small() -> None:
    face = load_face()
    gids = sorted({0, face.gid["資"], face.gid["格"], face.gid["A"]})
    data = subset_font(face, gids)
    assert len(data) < len(face.data) / 4
    font = TTFont(io.BytesIO(data))
    order = font.getGlyphOrder()
    glyf = font["glyf"]
    # retained ids: the glyph at the original id has an outline, unused ones are empty
    assert glyf[order[face.gid["資"]]].numberOfContours > 0
    unused = max(gids) - 1  # below the highest kept id, not itself kept
    assert unused not in gids
    assert glyf[order[unused]].numberOfContours == 0
    assert len(order) == max(gids) + 1


def test_subset_is_deterministic() -> None:
    face = load_face()
    gids = [0, face.gid["一"], face.gid["二"]]
    assert subset_font(face, gids) == subset_font(face, gids)


def test_widths_list_only_non_default_glyphs() -> None:
    face = load_face()
    gids = sorted({face.gid[c] for c in "あいA1"})
    w = _widths(face, gids)
    assert str(face.gid["A"]) in w
    assert str(face.gid["あ"]) not in w.split("[")[1] if w != "[]" else True
    assert face.gid_width[face.gid["あ"]] == DEFAULT_WIDTH
    assert face.text_width("ああ", 10) == 20.0


def test_to_unicode_prefers_the_ordinary_character() -> None:
    face = load_face()
    # ⼀ (KANGXI RADICAL ONE) and 一 share a glyph in IPAexGothic
    if face.gid.get("⼀") != face.gid["一"]:
        return
    cmap = _to_unicode_cmap(face, ["⼀", "一"]).decode()
    assert f"<{face.gid['一']:04X}> <4E00>" in cmap


def test_encode_records_usage() -> None:
    use = FontUse(load_face())
    hexs = use.encode("様")
    assert hexs == f"{load_face().gid['様']:04X}"
    assert "様" in use.used
