"""Scanned returned envelopes: find the piece-id QR code in an image (zxing-cpp).

The carrier letter shows the piece id as a QR code in the envelope window, the employer cover
letter shows the envelope id; a scanning station photographs or scans the envelope and this
module reads the code back. Codes that are not ours (a certificate's own QR code, seen through
a torn envelope, say) are reported and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import zxingcpp
from PIL import Image, ImageOps

from shikaku.mail.ids import IdKind, classify, normalise_id

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


@dataclass(frozen=True)
class ScanHit:
    image: Path
    text: str
    kind: IdKind

    @property
    def ref(self) -> str:
        return normalise_id(self.text)


@dataclass(frozen=True)
class ScanResult:
    image: Path
    hits: tuple[ScanHit, ...]
    error: str | None = None

    @property
    def ids(self) -> list[str]:
        """Piece or envelope ids found (ours only), without duplicates, in reading order."""
        seen: dict[str, None] = {}
        for h in self.hits:
            if h.kind != IdKind.INVALID:
                seen.setdefault(h.ref, None)
        return list(seen)


def decode_image(path: Path) -> ScanResult:
    """Every QR code in the image, classified; an unreadable file gives ``error``."""
    try:
        with Image.open(path) as img:
            gray = ImageOps.exif_transpose(img).convert("L")
    except (OSError, ValueError) as err:
        return ScanResult(path, (), f"{type(err).__name__}: {err}")
    found = zxingcpp.read_barcodes(gray, formats=QR_ONLY)
    if not found:
        # small or blurred codes: try once more at double size
        bigger = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.LANCZOS)
        found = zxingcpp.read_barcodes(bigger, formats=QR_ONLY)
    hits = []
    for code in found:
        text = code.text.strip()
        digits = normalise_id(text)
        kind = classify(digits) if digits == text else IdKind.INVALID
        hits.append(ScanHit(path, text, kind))
    return ScanResult(path, tuple(hits))


def decode_images(paths: list[Path]) -> list[ScanResult]:
    return [decode_image(p) for p in paths]
