"""The codes on the page read back: QR codes (zxing-cpp) and the customer barcode (bar heights
measured on a 600 dpi raster of the window)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from shikaku.domain.ids import customer_barcode as cb
from shikaku.issuance.render import DEFAULT_WINDOW, BatchResult, Envelope
from shikaku.issuance.render import letter as letter_layout

from .support import needs_font

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

pytestmark = [
    needs_font,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed"),
]


def _raster(
    pdf: Path, page: int, dpi: int, out: Path, crop_mm: tuple[float, ...] | None = None
) -> np.ndarray:
    args = [
        "pdftoppm",
        "-png",
        "-gray",
        "-r",
        str(dpi),
        "-f",
        str(page),
        "-l",
        str(page),
        "-singlefile",
    ]
    if crop_mm:
        px = [round(v / 25.4 * dpi) for v in crop_mm]
        args += ["-x", str(px[0]), "-y", str(px[1]), "-W", str(px[2]), "-H", str(px[3])]
    subprocess.run([*args, str(pdf), str(out)], check=True)
    return np.asarray(Image.open(f"{out}.png").convert("L"))


def _qr_texts(img: np.ndarray) -> set[str]:
    results = zxingcpp.read_barcodes(Image.fromarray(img), formats=zxingcpp.BarcodeFormat.QRCode)
    return {r.text for r in results}


def test_qr_codes_decode(envelopes: list[Envelope], batch: BatchResult, tmp_path: Path) -> None:
    env = envelopes[4]
    _, first, _ = batch.page_ranges[4]
    letter = _raster(batch.path, first, 200, tmp_path / "letter")
    assert env.piece_id in _qr_texts(letter)
    sheet = _raster(batch.path, first + 1, 300, tmp_path / "sheet")
    assert {m.qr_payload for m in env.members} <= _qr_texts(sheet)


def _read_customer_barcode(img: np.ndarray) -> list[str]:
    """Bars from a grey image: each dark column run is a bar; its top and bottom tell the kind."""
    dark: np.ndarray = np.asarray(img < 128)
    cols = [bool(v) for v in np.asarray(dark.any(axis=0)).tolist()]
    runs: list[tuple[int, int]] = []
    start = None
    for x, on in enumerate(cols):
        if on and start is None:
            start = x
        elif not on and start is not None:
            runs.append((start, x))
            start = None
    extents = []
    for a, b in runs:
        rows = np.nonzero(dark[:, a:b].any(axis=1))[0]
        extents.append((rows[0], rows[-1]))
    top = min(t for t, _ in extents)
    bottom = max(b for _, b in extents)
    third = (bottom - top) / 3
    kinds = []
    for t, b in extents:
        up, down = t < top + third / 2, b > bottom - third / 2
        kinds.append(
            {
                (True, True): cb.LONG,
                (True, False): cb.ASCENDER,
                (False, True): cb.DESCENDER,
                (False, False): cb.TIMING,
            }[(up, down)]
        )
    return kinds


def test_customer_barcode_reads_back(
    envelopes: list[Envelope], batch: BatchResult, tmp_path: Path
) -> None:
    env = envelopes[7]
    assert env.barcode_symbols
    _, first, _ = batch.page_ranges[7]
    w = DEFAULT_WINDOW
    bottom = w.inner_bottom - 2.0  # where letter.draw_variable puts the long bars' bottom
    crop = (w.inner_left - 1.5, bottom - 3.6 - 1.0, 84.0, 3.6 + 2.0)
    img = _raster(batch.path, first, 600, tmp_path / "bar", crop)
    kinds = _read_customer_barcode(img)
    assert kinds == cb.bars(env.barcode_symbols)
    assert len(kinds) == 67
    # decode the 3-bar groups back to symbols
    inverse = {v: k for k, v in cb.BAR_TABLE.items()}
    decoded = [inverse[(kinds[i], kinds[i + 1], kinds[i + 2])] for i in range(2, 65, 3)]
    assert decoded == list(env.barcode_symbols)
    assert cb.is_valid(decoded)
    assert letter_layout.BARCODE_POINTS == 10.0
