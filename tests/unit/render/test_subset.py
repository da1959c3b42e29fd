"""The hand-made TrueType subset agrees with fontTools' subsetter, glyph for glyph, and a PDF
using it passes preflight and rasterises."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from shikaku.issuance.render import preflight, render_batch
from shikaku.issuance.render.font import _components, load_face, subset_font
from shikaku.issuance.render.samples import sample_envelopes

TEXT = "山田太郎　ヤマダタロウ健康保険資格確認書〒100-0013東京都千代田区霞が関ＡＢＣabc①Ⅲ髙﨑"


def _gids(text: str) -> list[int]:
    face = load_face()
    return sorted({face.gid[c] for c in text if c in face.gid})


def test_subset_keeps_exactly_the_glyphs_asked_for() -> None:
    face = load_face()
    gids = _gids(TEXT)
    sub = TTFont(io.BytesIO(subset_font(face, gids)))
    ref = TTFont(io.BytesIO(face.data))
    order, sub_order = ref.getGlyphOrder(), sub.getGlyphOrder()
    assert sub["maxp"].numGlyphs == max(gids) + 1
    ref_glyf, sub_glyf = ref["glyf"], sub["glyf"]
    kept = {0, *gids}  # IPAex has no composite glyphs (see the next test for those)
    for g in range(sub["maxp"].numGlyphs):
        glyph = sub_glyf[sub_order[g]]
        if g in kept:
            want = ref_glyf[order[g]]
            assert glyph.getCoordinates(sub_glyf) == want.getCoordinates(ref_glyf), g
            assert sub["hmtx"][sub_order[g]] == ref["hmtx"][order[g]]
        else:
            assert glyph.numberOfContours == 0, g  # emptied
    assert sub["head"].unitsPerEm == ref["head"].unitsPerEm
    assert "cmap" not in sub  # CIDFontType2 with /CIDToGIDMap /Identity needs none


def _font_with_a_composite(path: Path) -> Path:
    """A tiny TrueType font: 'A' a square, 'B' a triangle, 'C' = A + B shifted (composite)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

    def drawn(points: list[tuple[int, int]]) -> Glyph:
        pen = TTGlyphPen(None)
        pen.moveTo(points[0])
        for pt in points[1:]:
            pen.lineTo(pt)
        pen.closePath()
        return pen.glyph()

    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "A", "B", "C"])
    fb.setupCharacterMap({0x41: "A", 0x42: "B", 0x43: "C"})
    composite = Glyph()
    composite.numberOfContours = -1
    composite.components = []
    for base, dx in (("A", 0), ("B", 500)):
        c = GlyphComponent()
        c.glyphName, c.x, c.y, c.flags = base, dx, 0, 0x0004  # ROUND_XY_TO_GRID
        composite.components.append(c)
    glyphs = {
        ".notdef": drawn([(0, 0), (0, 700), (500, 700), (500, 0)]),
        "A": drawn([(100, 0), (100, 600), (400, 600), (400, 0)]),
        "B": drawn([(0, 0), (250, 600), (500, 0)]),
        "C": composite,
    }
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({n: (1000, 0) for n in glyphs})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Test", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, sCapHeight=700)
    fb.setupPost()
    fb.save(str(path))
    return path


def test_composite_glyphs_bring_their_components(tmp_path: Path) -> None:
    face = load_face(_font_with_a_composite(tmp_path / "t.ttf"))
    c = face.gid["C"]
    assert _components(face.data[:0]) == []
    sub = TTFont(io.BytesIO(subset_font(face, [c])))
    order = sub.getGlyphOrder()
    glyf = sub["glyf"]
    assert glyf[order[c]].isComposite()
    for base in ("A", "B"):  # not asked for, kept because C is made of them
        assert glyf[order[face.gid[base]]].numberOfContours == 1
    ref = TTFont(io.BytesIO(face.data))
    assert glyf[order[c]].getCoordinates(glyf)[0] == ref["glyf"]["C"].getCoordinates(ref["glyf"])[0]


def test_subset_is_deterministic_and_checksummed() -> None:
    face = load_face()
    a = subset_font(face, _gids(TEXT))
    assert a == subset_font(face, _gids(TEXT))
    total = sum(int.from_bytes(a[i : i + 4], "big") for i in range(0, len(a), 4)) & 0xFFFFFFFF
    assert total == 0xB1B0AFBA  # the whole-font checksum the head table promises


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_with_the_subset_rasterises(tmp_path: Path) -> None:
    out = tmp_path / "b.pdf"
    result = render_batch(sample_envelopes(5, seed=4), out)
    assert preflight(out, expected_pages=result.pages) == []
    png = tmp_path / "p"
    run = subprocess.run(
        ["pdftoppm", "-r", "40", "-f", "1", "-l", "2", "-png", str(out), str(png)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Error" not in run.stderr, run.stderr
    assert sorted(p.name for p in tmp_path.glob("p*.png"))
