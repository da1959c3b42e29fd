"""Preflight a PDF before it goes to the print shop.

Checks, each reported as a :class:`Problem` with a stable kebab-case code:

- ``parse-error``        the file does not parse;
- ``page-count``         the number of pages differs from what the manifest expects;
- ``page-size``          a page is not A4 (portrait or landscape, ±1 pt);
- ``font-not-embedded``  a font has no FontFile/FontFile2/FontFile3 (this includes the
                         non-embedded base-14 fonts some libraries add, and CID fonts such as
                         HeiseiKakuGo-W5 that rely on the printer's fonts);
- ``font-not-subset``    an embedded font's name lacks the ``ABCDEF+`` subset tag.

Fonts are looked for in page resources and, recursively, in Form XObjects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

A4_PT = (595.28, 841.89)
SIZE_TOLERANCE = 1.0
SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    page: int | None = None


def _is_a4(width: float, height: float) -> bool:
    w, h = sorted((width, height))
    return abs(w - A4_PT[0]) <= SIZE_TOLERANCE and abs(h - A4_PT[1]) <= SIZE_TOLERANCE


def _font_problems(font: Any, page: int) -> list[Problem]:
    base = str(font.get("/BaseFont", "?")).lstrip("/")
    subtype = font.get("/Subtype")
    fonts = [font]
    if subtype == "/Type0":
        fonts = [d.get_object() for d in font.get("/DescendantFonts", [])]
    if subtype == "/Type3":  # glyphs drawn by content streams: nothing to embed
        return []
    out: list[Problem] = []
    for f in fonts:
        desc = f.get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else None
        if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            out.append(Problem("font-not-embedded", f"font {base} is not embedded", page))
        elif not SUBSET_TAG.match(str(f.get("/BaseFont", "")).lstrip("/")):
            out.append(
                Problem("font-not-subset", f"font {base} is embedded whole, not subset", page)
            )
    return out


def preflight(path: Path | str, expected_pages: int | None = None) -> list[Problem]:
    """Problems found in the PDF at ``path`` (an empty list means it passed)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path), strict=True)
        pages = reader.pages
        count = len(pages)
    except Exception as e:
        return [Problem("parse-error", f"{type(e).__name__}: {e}")]
    problems: list[Problem] = []
    if expected_pages is not None and count != expected_pages:
        problems.append(Problem("page-count", f"{count} pages, expected {expected_pages}"))
    seen_fonts: set[int] = set()
    seen_forms: set[int] = set()
    seen_resources: set[int] = set()

    def walk(resources: Any, page_no: int) -> None:
        if resources is None:
            return
        res_id = getattr(resources, "idnum", None)
        if res_id is not None:  # pages of a batch share one resource dictionary: check it once
            if res_id in seen_resources:
                return
            seen_resources.add(res_id)
        resources = resources.get_object()
        fonts = resources.get("/Font")
        if fonts is not None:
            for f_ref in fonts.get_object().values():
                key = getattr(f_ref, "idnum", id(f_ref))
                if key in seen_fonts:
                    continue
                seen_fonts.add(key)
                problems.extend(_font_problems(f_ref.get_object(), page_no))
        xobjects = resources.get("/XObject")
        if xobjects is not None:
            for x_ref in xobjects.get_object().values():
                key = getattr(x_ref, "idnum", id(x_ref))
                if key in seen_forms:
                    continue
                seen_forms.add(key)
                x = x_ref.get_object()
                if x.get("/Subtype") == "/Form":
                    walk(x.get("/Resources"), page_no)

    try:
        for i, page in enumerate(pages, start=1):
            box = page.mediabox
            if not _is_a4(float(box.width), float(box.height)):
                problems.append(
                    Problem(
                        "page-size",
                        f"{float(box.width):.1f} × {float(box.height):.1f} pt is not A4",
                        i,
                    )
                )
            walk(page.raw_get("/Resources") if "/Resources" in page else None, i)
    except Exception as e:
        problems.append(Problem("parse-error", f"{type(e).__name__}: {e}"))
    return problems


def main(argv: list[str] | None = None) -> int:
    """``python -m shikaku.issuance.render FILE.pdf [--pages N]``; exit status 1 on problems."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(description="Preflight a PDF for the print shop.")
    ap.add_argument("pdf", type=Path, nargs="+")
    ap.add_argument("--pages", type=int, default=None, help="expected page count")
    args = ap.parse_args(argv)
    failed = False
    for pdf in args.pdf:
        problems = preflight(pdf, args.pages)
        for p in problems:
            where = f" (page {p.page})" if p.page else ""
            sys.stdout.write(f"{pdf}: {p.code}{where}: {p.message}\n")
        if not problems:
            sys.stdout.write(f"{pdf}: ok\n")
        failed = failed or bool(problems)
    return 1 if failed else 0
