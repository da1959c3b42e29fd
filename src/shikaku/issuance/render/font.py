"""One embedded, subset TrueType font per PDF: Type0 / CIDFontType2, Identity-H.

Text is written as 2-byte glyph ids (CID = GID, ``/CIDToGIDMap /Identity``), so the subset
keeps the original glyph ids and can be built once, at the end of the file, from every character
the file used. A ToUnicode CMap maps the glyph ids
back to the characters, so text can be searched and extracted (pdftotext) from the PDF.

The parsed font (cmap, widths, metrics) is cached per path and process; each PDF then pays
only for the subset (a few milliseconds), whatever its number of pages.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

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


# -- the subset ---------------------------------------------------------------------------
#
# Glyph ids are kept (CID = GID), so a subset is the original font with the unused glyphs
# emptied: copy the used glyphs' outlines (and the components of composite glyphs), write a new
# ``loca``, cut ``hmtx`` to the highest glyph used, and keep the tables a renderer needs. This
# is what fontTools' subsetter does with ``retain_gids``, in a few milliseconds instead of
# ~0.1 s a file (tests/unit/render/test_subset.py checks the two agree glyph for glyph).

_KEEP_TABLES = (b"OS/2", b"cvt ", b"fpgm", b"name", b"prep")  # copied as they are
_ARG_WORDS, _HAVE_SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x0001, 0x0008, 0x0020, 0x0040, 0x0080


@dataclass(frozen=True)
class _Sfnt:
    """The parts of a TrueType font the subsetter reads, parsed once per font."""

    tables: dict[bytes, bytes]
    glyf: bytes
    loca: tuple[int, ...]  # num_glyphs + 1 byte offsets into glyf
    advances: tuple[int, ...]  # advance width of every glyph
    lsbs: tuple[int, ...]  # left side bearing of every glyph


@lru_cache(maxsize=4)
def _sfnt(path: Path) -> _Sfnt:
    data = load_face(path).data
    (num_tables,) = struct.unpack_from(">H", data, 4)
    tables: dict[bytes, bytes] = {}
    for i in range(num_tables):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = data[offset : offset + length]
    head, maxp, hhea = tables[b"head"], tables[b"maxp"], tables[b"hhea"]
    (num_glyphs,) = struct.unpack_from(">H", maxp, 4)
    (long_loca,) = struct.unpack_from(">h", head, 50)
    raw = tables[b"loca"]
    if long_loca:
        loca = struct.unpack_from(f">{num_glyphs + 1}I", raw)
    else:
        loca = tuple(2 * o for o in struct.unpack_from(f">{num_glyphs + 1}H", raw))
    (n_metrics,) = struct.unpack_from(">H", hhea, 34)
    hmtx = tables[b"hmtx"]
    pairs = struct.unpack_from(f">{2 * n_metrics}h", hmtx)
    advances = [a & 0xFFFF for a in pairs[0::2]]
    lsbs = list(pairs[1::2])
    rest = num_glyphs - n_metrics
    if rest > 0:
        advances += [advances[-1]] * rest
        lsbs += list(struct.unpack_from(f">{rest}h", hmtx, 4 * n_metrics))
    return _Sfnt(tables, tables[b"glyf"], tuple(loca), tuple(advances), tuple(lsbs))


def _components(glyph: bytes) -> list[int]:
    """Glyph ids a composite glyph is made of (none for a simple glyph)."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
        return []
    out, pos, flags = [], 10, _MORE
    while flags & _MORE:
        flags, gid = struct.unpack_from(">HH", glyph, pos)
        out.append(gid)
        pos += 4 + (4 if flags & _ARG_WORDS else 2)
        if flags & _HAVE_SCALE:
            pos += 2
        elif flags & _XY_SCALE:
            pos += 4
        elif flags & _TWO_BY_TWO:
            pos += 8
    return out


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def subset_font(face: FontFace, gids: list[int]) -> bytes:
    """TrueType subset with the given glyphs (and .notdef), original glyph ids kept."""
    font = _sfnt(face.path)
    glyf, loca = font.glyf, font.loca
    keep: set[int] = set()
    todo = [0, *gids]
    while todo:
        g = todo.pop()
        if g in keep or g + 1 >= len(loca):
            continue
        keep.add(g)
        todo.extend(_components(glyf[loca[g] : loca[g + 1]]))
    count = max(keep) + 1
    parts: list[bytes] = []
    offsets = [0]
    size = 0
    for g in range(count):
        if g in keep:
            glyph = glyf[loca[g] : loca[g + 1]]
            glyph += b"\0" * (-len(glyph) % 4)
            parts.append(glyph)
            size += len(glyph)
        offsets.append(size)
    new_glyf = b"".join(parts)
    new_loca = struct.pack(f">{count + 1}I", *offsets)
    metrics = bytearray(4 * count)  # unused glyphs: zero advance (they are never drawn)
    for g in keep:
        struct.pack_into(">Hh", metrics, 4 * g, font.advances[g], font.lsbs[g])
    src = font.tables
    head = bytearray(src[b"head"])
    struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
    struct.pack_into(">h", head, 50, 1)  # long loca offsets
    maxp = bytearray(src[b"maxp"])
    struct.pack_into(">H", maxp, 4, count)
    hhea = bytearray(src[b"hhea"])
    struct.pack_into(">H", hhea, 34, count)
    post = bytearray(src[b"post"][:32])
    struct.pack_into(">I", post, 0, 0x00030000)  # version 3: no glyph names
    tables = {
        b"glyf": new_glyf,
        b"head": bytes(head),
        b"hhea": bytes(hhea),
        b"hmtx": bytes(metrics),
        b"loca": new_loca,
        b"maxp": bytes(maxp),
        b"post": bytes(post),
        **{t: src[t] for t in _KEEP_TABLES if t in src},
    }
    return _assemble(tables)


def _assemble(tables: dict[bytes, bytes]) -> bytes:
    """An sfnt file: table directory (sorted by tag), 4-byte aligned tables, checksums."""
    tags = sorted(tables)
    n = len(tags)
    power = 1 << (n.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, n, power * 16, power.bit_length() - 1,
                         n * 16 - power * 16)  # fmt: skip
    offset = 12 + 16 * n
    directory, body = [], []
    for tag in tags:
        data = tables[tag]
        directory.append(struct.pack(">4sIII", tag, _checksum(data), offset, len(data)))
        padded = data + b"\0" * (-len(data) % 4)
        body.append(padded)
        offset += len(padded)
    out = bytearray(header + b"".join(directory) + b"".join(body))
    head_at = 12 + 16 * n + sum(len(b) for b in body[: tags.index(b"head")])
    struct.pack_into(">I", out, head_at + 8, (0xB1B0AFBA - _checksum(bytes(out))) & 0xFFFFFFFF)
    return bytes(out)


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
