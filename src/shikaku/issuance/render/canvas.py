"""A content-stream builder in millimetres from the top-left corner of the page.

Only what the letters, certificates and tables need: text in the embedded font (with a
stroked "bold"), rectangles, lines, QR codes drawn as filled rectangles (no images) and the
Japan Post customer barcode. Colours are grey levels or CMYK tuples, as print shops expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import segno
import zxingcpp

from shikaku.domain.ids.customer_barcode import ASCENDER, DESCENDER, LONG, TIMING, BarSize, bars
from shikaku.issuance.render.font import FontUse

PT: Final = 72.0 / 25.4  # points per millimetre
A4_W_MM: Final = 210.0
A4_H_MM: Final = 297.0
A4_W_PT: Final = A4_W_MM * PT  # 595.28
A4_H_PT: Final = A4_H_MM * PT  # 841.89

Color = tuple[float, ...]  # (grey,) or (c, m, y, k)
BLACK: Final[Color] = (0.0,)
WHITE: Final[Color] = (1.0,)

#: QR mask pattern. segno picks the best of 8 masks when None, which costs ~2 ms per code; a
#: fixed mask gives an equally valid symbol (every reader handles all 8) in ~0.5 ms.
QR_MASK: int | None = 2
#: bar → rectangle in the barcode's unit grid (x: bar width, y: timing-bar height)
_BAR_RECT: Final = {
    LONG: "%d 0 1 3 re",
    ASCENDER: "%d 1 1 2 re",
    DESCENDER: "%d 0 1 2 re",
    TIMING: "%d 1 1 1 re",
}


def _fill_op(c: Color) -> str:
    return f"{c[0]:.3f} g" if len(c) == 1 else f"{c[0]:.3f} {c[1]:.3f} {c[2]:.3f} {c[3]:.3f} k"


def _stroke_op(c: Color) -> str:
    return f"{c[0]:.3f} G" if len(c) == 1 else f"{c[0]:.3f} {c[1]:.3f} {c[2]:.3f} {c[3]:.3f} K"


def qr_matrix(payload: str, *, error: str = "m", encoder: str = "segno") -> npt.NDArray[np.uint8]:
    """The QR symbol's modules as an n×n array of 0 (light) / 1 (dark), no quiet zone.

    ``segno`` (pure Python, the default) or ``zxing`` (zxing-cpp's C++ writer, about 7× faster
    here): certificate sheets carry one QR code per person, and in a national run encoding them
    is most of the rendering time (docs/decisions/0008-qr-encoders.md)."""
    if encoder == "zxing":
        code = zxingcpp.create_barcode(
            payload, zxingcpp.BarcodeFormat.QRCode, ec_level=error.upper()
        )
        img = np.asarray(code.to_image(scale=1, add_quiet_zones=False))
        return (img == 0).astype(np.uint8)
    if encoder != "segno":
        raise ValueError(f"unknown QR encoder {encoder!r}")
    matrix = segno.make(payload, error=error, micro=False, mask=QR_MASK).matrix
    return np.array(matrix, dtype=np.uint8)


def dark_runs(matrix: npt.NDArray[np.uint8]) -> list[tuple[int, int, int]]:
    """(row, first column, length) of every horizontal run of dark modules."""
    n_rows, n_cols = matrix.shape
    padded = np.zeros((n_rows, n_cols + 2), dtype=np.int8)
    padded[:, 1:-1] = matrix
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)  # row-major order: each run's end follows its start
    return list(zip(rows.tolist(), starts.tolist(), (ends - starts).tolist(), strict=True))


class Canvas:
    """Collects drawing operators for one page or Form XObject."""

    __slots__ = ("font", "height_pt", "ops")

    def __init__(self, font: FontUse, height_mm: float = A4_H_MM) -> None:
        self.font = font
        self.height_pt = height_mm * PT
        self.ops: list[str] = []

    # -- text --------------------------------------------------------------------------------

    def width(self, text: str, size: float) -> float:
        """Width of ``text`` at ``size`` points, in millimetres."""
        return self.font.face.text_width(text, size) / PT

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        *,
        bold: bool = False,
        align: str = "left",
        color: Color | None = None,
    ) -> None:
        """Draw one line; ``y`` is the baseline in mm from the top, ``align`` left/center/right."""
        if not text:
            return
        if align != "left":
            w = self.width(text, size)
            x -= w if align == "right" else w / 2
        hexs = self.font.encode(text)
        res = self.font.resource
        xp, yp = x * PT, self.height_pt - y * PT
        if bold or color is not None:
            c = color or BLACK
            pre = f"q {_fill_op(c)} "
            if bold:
                pre += f"{_stroke_op(c)} {size * 0.03:.2f} w 2 Tr "
            self.ops.append(f"{pre}BT /{res} {size:g} Tf {xp:.2f} {yp:.2f} Td <{hexs}> Tj ET Q")
        else:
            self.ops.append(f"BT /{res} {size:g} Tf {xp:.2f} {yp:.2f} Td <{hexs}> Tj ET")

    def text_fit(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        max_width: float,
        *,
        min_size: float = 6.0,
        bold: bool = False,
        align: str = "left",
        color: Color | None = None,
    ) -> float:
        """Draw ``text`` shrunk (down to ``min_size``) to fit ``max_width`` mm; returns the size.

        Text still too wide at ``min_size`` is compressed horizontally (Tz) rather than cut.
        """
        w = self.width(text, size)
        if w <= max_width:
            self.text(x, y, text, size, bold=bold, align=align, color=color)
            return size
        fitted = max(min_size, size * max_width / w)
        if self.width(text, fitted) <= max_width + 1e-6:
            self.text(x, y, text, fitted, bold=bold, align=align, color=color)
            return fitted
        scale = 100.0 * max_width / self.width(text, fitted)
        if align != "left":
            x -= max_width if align == "right" else max_width / 2
        self.ops.append(f"q {scale:.1f} Tz")  # Tz is graphics state: Q restores it
        self.text(x, y, text, fitted, bold=bold, color=color)
        self.ops.append("Q")
        return fitted

    # -- graphics ----------------------------------------------------------------------------

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: Color | None = None,
        stroke: Color | None = None,
        line_width: float = 0.5,
    ) -> None:
        """Rectangle with top-left corner (x, y) in mm; fill and/or stroke."""
        body = f"{x * PT:.2f} {self.height_pt - (y + h) * PT:.2f} {w * PT:.2f} {h * PT:.2f} re"
        if fill is not None and stroke is not None:
            self.ops.append(f"q {_fill_op(fill)} {_stroke_op(stroke)} {line_width:g} w {body} B Q")
        elif fill is not None:
            self.ops.append(f"q {_fill_op(fill)} {body} f Q")
        elif stroke is not None:
            self.ops.append(f"q {_stroke_op(stroke)} {line_width:g} w {body} S Q")

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        width: float = 0.5,
        color: Color = BLACK,
        dash: str = "",
    ) -> None:
        """A straight line between two points in mm; ``dash`` like ``"[2 2] 0"``."""
        h = self.height_pt
        d = f"{dash} d " if dash else ""
        self.ops.append(
            f"q {_stroke_op(color)} {width:g} w {d}{x1 * PT:.2f} {h - y1 * PT:.2f} m "
            f"{x2 * PT:.2f} {h - y2 * PT:.2f} l S Q"
        )

    def lines(
        self,
        segments: Sequence[tuple[float, float, float, float]],
        *,
        width: float = 0.5,
        color: Color = BLACK,
    ) -> None:
        """Several line segments stroked at once."""
        h = self.height_pt
        path = " ".join(
            f"{a * PT:.2f} {h - b * PT:.2f} m {c * PT:.2f} {h - d * PT:.2f} l"
            for a, b, c, d in segments
        )
        self.ops.append(f"q {_stroke_op(color)} {width:g} w {path} S Q")

    def do(self, xobject: str, dx: float = 0.0, dy: float = 0.0) -> None:
        """Draw a Form XObject, shifted by (dx, dy) mm (dy downwards)."""
        if dx or dy:
            self.ops.append(f"q 1 0 0 1 {dx * PT:.2f} {-dy * PT:.2f} cm /{xobject} Do Q")
        else:
            self.ops.append(f"/{xobject} Do")

    # -- codes -------------------------------------------------------------------------------

    def qr(
        self,
        x: float,
        y: float,
        size: float,
        payload: str,
        *,
        quiet: int = 4,
        error: str = "m",
        encoder: str = "segno",
    ) -> None:
        """QR code as filled rectangles: a white square of ``size`` mm at (x, y) including a
        quiet zone of ``quiet`` modules, dark modules merged into horizontal runs."""
        matrix = qr_matrix(payload, error=error, encoder=encoder)
        n = len(matrix)
        m = size / (n + 2 * quiet) * PT  # module size in points
        x0 = x * PT + quiet * m
        top = self.height_pt - y * PT - quiet * m
        # white square, then a CTM in module units with y pointing down, so every run of dark
        # modules is a rectangle with small integer coordinates
        parts = [
            f"q 1 g {x * PT:.2f} {self.height_pt - (y + size) * PT:.2f} {size * PT:.2f} "
            f"{size * PT:.2f} re f 0 g {m:.4f} 0 0 {-m:.4f} {x0:.3f} {top:.3f} cm"
        ]
        parts.extend(f"{a} {r} {length} 1 re" for r, a, length in dark_runs(matrix))
        parts.append("f Q")
        self.ops.append(" ".join(parts))

    def customer_barcode(
        self, x: float, y_bottom: float, symbols: Sequence[str], *, size: BarSize | None = None
    ) -> float:
        """Japan Post customer barcode with its left edge at ``x`` and the bottom of the long
        bars at ``y_bottom`` (mm from top); returns the barcode's width in mm."""
        size = size or BarSize()
        pattern = bars(symbols)
        # CTM in half-pitch (= bar width) by timing-bar-height units: bar i is the integer
        # rectangle (2i, lo, 1, hi - lo) with lo/hi from _BAR_UNITS
        sx = size.pitch_mm / 2 * PT
        sy = size.timing_mm * PT
        ops = [f"q 0 g {sx:.4f} 0 0 {sy:.4f} {x * PT:.3f} {self.height_pt - y_bottom * PT:.3f} cm"]
        ops += [_BAR_RECT[bar] % (2 * i) for i, bar in enumerate(pattern)]
        ops.append("f Q")
        self.ops.append(" ".join(ops))
        return (len(pattern) - 1) * size.pitch_mm + size.width_mm

    def raw(self, op: str) -> None:
        self.ops.append(op)

    def content(self) -> bytes:
        return "\n".join(self.ops).encode("latin-1")
