"""One embedded, subset TrueType font per PDF: Type0 / CIDFontType2, Identity-H.

Text is written as 2-byte glyph ids (CID = GID, ``/CIDToGIDMap /Identity``), so the subset is
made with fontTools keeping the original glyph ids (``retain_gids``) and can be built once, at
the end of the file, from every character the file used. A ToUnicode CMap maps the glyph ids
back to the characters, so text can be searched and extracted (pdftotext) from the PDF.

The parsed font (cmap, widths, metrics) is cached per path and process; each PDF then pays
only for the subset (about 0.3 s for IPAexGothic), whatever its number of pages.
"""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from shikaku.issuance.render.pdf import PdfWriter, name, ref

#: IPAexGothic from Debian's fonts-ipaexfont; override with ``SHIKAKU_FONT_PATH`` or font_path=.
DEFAULT_FONT_PATH = Path(
    os.environ.get("SHIKAKU_FONT_PATH", "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
)
DEFAULT_WIDTH = 1000  # /DW: CJK glyphs are one em wide


class MissingGlyphsError(ValueError):
    """Text uses characters the font cannot draw; they would print as empty boxes."""

    def __init__(self, missing: dict[str, set[str]]) -> None:
        self.missing = missing  # key (piece id or "document") -> characters
        sample = ", ".join(f"{k}: {''.join(sorted(v))!r}" for k, v in list(missing.items())[:5])
        super().__init__(f"characters missing from the font: {sample}")


@dataclass(frozen=True)
class FontFace:
    """A TrueType font parsed once: glyph ids, widths (1/1000 em) and descriptor metrics."""

    path: Path
    data: bytes
    postscript_name: str
    gid: dict[str, int]
    hex: dict[str, str]  # character -> 4 hex digits of its glyph id
    width: dict[str, float]  # character -> advance in 1/1000 em
    gid_width: dict[int, int]
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]

    def has(self, ch: str) -> bool:
        return ch in self.gid

    def text_width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` points, in points."""
        w = self.width
        return sum(w.get(c, DEFAULT_WIDTH) for c in text) * size / 1000.0


@lru_cache(maxsize=4)
def load_face(path: Path | str | None = None) -> FontFace:
    """Parse a TrueType font (cached per path)."""
    p = Path(path) if path is not None else DEFAULT_FONT_PATH
    data = p.read_bytes()
    font = TTFont(io.BytesIO(data), lazy=True)
    if "glyf" not in font:
        raise ValueError(f"{p}: not a TrueType (glyf) font; CFF fonts are not supported")
    upem = font["head"].unitsPerEm
    scale = 1000.0 / upem
    order = font.getGlyphOrder()
    index = {g: i for i, g in enumerate(order)}
    metrics = font["hmtx"].metrics
    gid: dict[str, int] = {}
    width: dict[str, float] = {}
    for cp, glyph in font.getBestCmap().items():
        ch = chr(cp)
        gid[ch] = index[glyph]
        width[ch] = metrics[glyph][0] * scale
    gid_width = {index[g]: round(metrics[g][0] * scale) for g in order}
    head, os2, hhea = font["head"], font["OS/2"], font["hhea"]
    ps_name = font["name"].getDebugName(6) or p.stem
    return FontFace(
        path=p,
        data=data,
        postscript_name="".join(c for c in ps_name if (c.isascii() and c.isalnum()) or c == "-"),
        gid=gid,
        hex={c: f"{g:04X}" for c, g in gid.items()},
        width=width,
        gid_width=gid_width,
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
        cap_height=round(getattr(os2, "sCapHeight", hhea.ascent * 0.7) * scale),
        bbox=(
            round(head.xMin * scale),
            round(head.yMin * scale),
            round(head.xMax * scale),
            round(head.yMax * scale),
        ),
    )


def _printable(ch: str) -> bool:
    """Characters that need a glyph (control characters such as newlines do not)."""
    return unicodedata.category(ch) != "Cc"


def missing_glyphs(texts: Iterable[str], font_path: Path | str | None = None) -> set[str]:
    """Characters of ``texts`` that the font has no glyph for (check BEFORE printing)."""
    face = load_face(font_path)
    chars: set[str] = set()
    for t in texts:
        chars.update(t)
    return {c for c in chars if c not in face.gid and _printable(c)}


@dataclass
class FontUse:
    """The font as used by one PDF: encodes text and remembers every character drawn."""

    face: FontFace
    resource: str = "F1"
    used: set[str] = field(default_factory=set)

    def encode(self, text: str) -> str:
        """Hex string of glyph ids for a ``<...> Tj`` operator."""
        self.used.update(text)
        hx = self.face.hex
        try:
            return "".join([hx[c] for c in text])
        except KeyError as e:
            raise MissingGlyphsError({"text": {e.args[0]}}) from None

    # -- writing the font objects ------------------------------------------------------------

    def write(self, w: PdfWriter, type0: int) -> None:
        """Write the Type0 font as object ``type0`` plus its descendants and the subset."""
        face = self.face
        used = sorted(c for c in self.used if c in face.gid)
        gids = sorted({0, *(face.gid[c] for c in used)})
        tag = _subset_tag(gids)
        base = f"{tag}+{face.postscript_name}"
        font_file = w.reserve()
        descriptor = w.reserve()
        cid_font = w.reserve()
        to_unicode = w.reserve()
        w.write(
            type0,
            f"<< /Type /Font /Subtype /Type0 /BaseFont {name(base)} "
            f"/Encoding /Identity-H /DescendantFonts [{ref(cid_font)}] "
            f"/ToUnicode {ref(to_unicode)} >>",
        )
        w.write(
            cid_font,
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {name(base)} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
            f"/Supplement 0 >> /FontDescriptor {ref(descriptor)} "
            f"/DW {DEFAULT_WIDTH} /W {_widths(face, gids)} "
            "/CIDToGIDMap /Identity >>",
        )
        x0, y0, x1, y1 = face.bbox
        w.write(
            descriptor,
            f"<< /Type /FontDescriptor /FontName {name(base)} /Flags 4 "
            f"/FontBBox [{x0} {y0} {x1} {y1}] /ItalicAngle 0 "
            f"/Ascent {face.ascent} /Descent {face.descent} "
            f"/CapHeight {face.cap_height} /StemV 80 "
            f"/FontFile2 {ref(font_file)} >>",
        )
        data = subset_font(face, gids)
        w.write_stream(font_file, f"/Length1 {len(data)}", data)
        w.write_stream(to_unicode, "", _to_unicode_cmap(face, used))


def _subset_tag(gids: list[int]) -> str:
    """Six capital letters derived from the glyph set (same glyphs → same tag)."""
    digest = hashlib.sha256(",".join(map(str, gids)).encode()).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def subset_font(face: FontFace, gids: list[int]) -> bytes:
    """TrueType subset with the given glyphs, original glyph ids kept, hinting dropped."""
    # recalcTimestamp=False keeps head.modified, so the same glyphs give the same bytes
    font = TTFont(io.BytesIO(face.data), lazy=True, recalcTimestamp=False)
    options = subset.Options()
    options.retain_gids = True
    options.hinting = False
    options.layout_features = []
    options.notdef_outline = True
    options.glyph_names = False
    options.drop_tables += ["vhea", "vmtx", "BASE", "GDEF", "GPOS", "GSUB", "gasp", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=gids)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _widths(face: FontFace, gids: list[int]) -> str:
    """The /W array: runs of consecutive glyph ids whose width differs from /DW."""
    parts: list[str] = []
    run: list[int] = []
    start = prev = -2
    for g in gids:
        wd = face.gid_width.get(g, DEFAULT_WIDTH)
        if wd == DEFAULT_WIDTH:
            continue
        if g != prev + 1 and run:
            parts.append(f"{start} [{' '.join(map(str, run))}]")
            run = []
        if not run:
            start = g
        run.append(wd)
        prev = g
    if run:
        parts.append(f"{start} [{' '.join(map(str, run))}]")
    return "[" + " ".join(parts) + "]"


def _to_unicode_cmap(face: FontFace, used: list[str]) -> bytes:
    """A ToUnicode CMap from glyph id to the character drawn with it."""
    by_gid: dict[int, str] = {}
    for ch in used:
        g = face.gid[ch]
        old = by_gid.get(g)
        # several code points can share a glyph (⼀ U+2F00 and 一 U+4E00): prefer the one that
        # NFKC leaves alone, so extracted text is the ordinary character
        if old is None or (
            unicodedata.normalize("NFKC", old) != old and unicodedata.normalize("NFKC", ch) == ch
        ):
            by_gid[g] = ch
    items = sorted(by_gid.items())
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for i in range(0, len(items), 100):
        chunk = items[i : i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for g, ch in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")
