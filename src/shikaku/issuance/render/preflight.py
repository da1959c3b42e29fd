"""Preflight a PDF before it goes to the print shop.

Checks, each reported as a :class:`Problem` with a stable kebab-case code:

- ``parse-error``        the file does not parse, or its page tree is not a tree (a cycle, a
                         node reached twice, deeper than :data:`MAX_TREE_DEPTH`, a kid that is
                         neither a /Page nor a /Pages dictionary);
- ``page-count``         the number of pages differs from what the manifest expects;
- ``page-tree``          a /Pages node's /Count is missing or differs from the number of
                         /Page leaves below it (viewers and RIPs that trust /Count would show
                         or print a different number of pages);
- ``page-size``          a page is not A4 (portrait or landscape, ±1 pt);
- ``font-not-embedded``  a font has no FontFile/FontFile2/FontFile3 (this includes the
                         non-embedded base-14 fonts some libraries add, and CID fonts such as
                         HeiseiKakuGo-W5 that rely on the printer's fonts);
- ``font-not-subset``    an embedded font's name lacks the ``ABCDEF+`` subset tag.

Fonts are looked for in page resources and, recursively, in Form XObjects.

The file is parsed with pypdf, independently of the writer that produced it, but the page
tree is walked here rather than through ``PdfReader.pages``: pypdf would build a
``PageObject`` per page and copy inherited entries into it, which a check that only needs each
page's MediaBox and Resources does not need. /MediaBox and /Resources are inherited from
/Pages nodes as ISO 32000-1 §7.7.3.4 says (a page's own value wins; ``null`` counts as
absent). Each distinct MediaBox and each distinct /Resources dictionary is checked once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

A4_PT = (595.28, 841.89)
SIZE_TOLERANCE = 1.0
SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")
MAX_TREE_DEPTH = 100  # /Pages nesting; pypdf's own limit. Real trees are a few levels deep.


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    page: int | None = None


class PageTreeError(ValueError):
    """The page tree is not a finite tree of /Pages and /Page dictionaries."""


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


# -- the page tree ------------------------------------------------------------------------------


def _label(ref: Any) -> str:
    """``12 0 R`` for an indirect node, ``(direct)`` otherwise (for messages)."""
    idnum = getattr(ref, "idnum", None)
    return f"{idnum} {ref.generation} R" if idnum is not None else "(direct)"


def _own(node: Any, key: str) -> Any:
    """``node``'s own entry ``key`` unresolved (an indirect reference stays one), or None when
    absent or ``null`` — which §7.3.9 makes the same thing."""
    from pypdf.generic import NullObject

    value = dict.get(node, key)
    if value is None or isinstance(value.get_object(), NullObject):
        return None
    return value


def _node_type(node: Any) -> str:
    """``/Pages`` or ``/Page``; a PageTreeError for anything else in a page tree."""
    t = node.get("/Type")
    if t is None:  # /Type is required; accept a node that is unambiguous, as viewers do
        if "/Kids" in node:
            return "/Pages"
        if any(k in node for k in ("/Contents", "/MediaBox", "/Parent")):
            return "/Page"
        raise PageTreeError("a page tree node without /Type is neither a /Page nor a /Pages")
    t = str(t.get_object())
    if t not in ("/Pages", "/Page"):
        raise PageTreeError(f"a page tree node has /Type {t}")
    return t


@dataclass
class _Frame:
    """A /Pages node being walked: its kids, where we are, what it passes down."""

    label: str
    count: Any  # its /Count, resolved
    kids: list[Any]
    media: Any  # inherited /MediaBox (unresolved), or None
    resources: Any  # inherited /Resources (unresolved), or None
    depth: int
    next_kid: int = 0
    leaves: int = 0


def _walk_tree(reader: Any) -> tuple[list[tuple[Any, Any]], list[Problem]]:
    """The leaves of the page tree in page order, as (MediaBox, Resources) after inheritance
    (both unresolved: an indirect reference stays one, so callers can cache by it), and the
    ``page-tree`` problems of its /Count entries. Raises on a tree that is not a tree."""
    from pypdf.generic import ArrayObject, DictionaryObject

    root = reader.trailer["/Root"].get_object()
    pages_ref = dict.get(root, "/Pages")
    if pages_ref is None:
        raise PageTreeError("the catalog has no /Pages")
    leaves: list[tuple[Any, Any]] = []
    problems: list[Problem] = []
    seen: set[tuple[str, int]] = set()  # every node once: a cycle or a shared kid is an error
    stack: list[_Frame] = []

    def visit(ref: Any, depth: int) -> None:
        node = ref.get_object()
        if not isinstance(node, DictionaryObject):
            raise PageTreeError(f"page tree entry {_label(ref)} is not a dictionary")
        idnum = getattr(ref, "idnum", None)
        key = ("ref", idnum) if idnum is not None else ("direct", id(node))
        if key in seen:
            raise PageTreeError(f"page tree node {_label(ref)} is reached twice (a cycle)")
        seen.add(key)
        parent = stack[-1] if stack else None
        media = _own(node, "/MediaBox")
        resources = _own(node, "/Resources")
        if parent is not None:
            media = media if media is not None else parent.media
            resources = resources if resources is not None else parent.resources
        if _node_type(node) == "/Page":
            if parent is None:
                raise PageTreeError("the catalog's /Pages is a /Page, not a /Pages node")
            parent.leaves += 1
            leaves.append((media, resources))
            return
        if depth > MAX_TREE_DEPTH:
            raise PageTreeError(f"the page tree is deeper than {MAX_TREE_DEPTH} levels")
        kids = node.get("/Kids")
        kids = ArrayObject() if kids is None else kids.get_object()
        if not isinstance(kids, ArrayObject):
            raise PageTreeError(f"/Kids of {_label(ref)} is not an array")
        count = node.get("/Count")
        count = count.get_object() if count is not None else None
        stack.append(_Frame(_label(ref), count, list(kids), media, resources, depth))

    visit(pages_ref, 0)
    while stack:
        frame = stack[-1]
        if frame.next_kid < len(frame.kids):
            frame.next_kid += 1
            visit(frame.kids[frame.next_kid - 1], frame.depth + 1)
            continue
        stack.pop()
        if stack:
            stack[-1].leaves += frame.leaves
        if not isinstance(frame.count, int) or isinstance(frame.count, bool):
            problems.append(Problem("page-tree", f"/Pages {frame.label} has no integer /Count"))
        elif frame.count != frame.leaves:
            problems.append(
                Problem(
                    "page-tree",
                    f"/Pages {frame.label} has /Count {frame.count} "
                    f"but {frame.leaves} pages below it",
                )
            )
    return leaves, problems


def _page_size_message(media: Any) -> str | None:
    """Why a MediaBox is not A4, or None when it is; ValueError when it is no rectangle."""
    from pypdf.generic import ArrayObject

    box = media.get_object() if media is not None else None
    if not isinstance(box, ArrayObject) or len(box) < 4:
        raise ValueError(f"Expected an array of four values for /MediaBox, got {box}")
    x1, y1, x2, y2 = (float(v.get_object()) for v in box[:4])
    width, height = x2 - x1, y2 - y1
    if _is_a4(width, height):
        return None
    return f"{width:.1f} × {height:.1f} pt is not A4"


# -- the check ----------------------------------------------------------------------------------


def preflight(path: Path | str, expected_pages: int | None = None) -> list[Problem]:
    """Problems found in the PDF at ``path`` (an empty list means it passed)."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject

    try:
        reader = PdfReader(str(path), strict=True)
        leaves, tree_problems = _walk_tree(reader)
        count = len(leaves)
    except Exception as e:
        return [Problem("parse-error", f"{type(e).__name__}: {e}")]
    problems: list[Problem] = []
    if expected_pages is not None and count != expected_pages:
        problems.append(Problem("page-count", f"{count} pages, expected {expected_pages}"))
    problems.extend(tree_problems)
    seen_fonts: set[int] = set()
    seen_forms: set[int] = set()
    seen_resources: set[int] = set()

    def walk(resources: Any, page_no: int) -> None:
        if resources is None:
            return
        # pages of a batch share one resource dictionary: check it once. A direct dictionary
        # inherited from a /Pages node is one object too (the reader keeps it alive).
        res_id = getattr(resources, "idnum", None)
        res_key = res_id if res_id is not None else -1 - id(resources)
        if res_key in seen_resources:
            return
        seen_resources.add(res_key)
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

    # A MediaBox is keyed by its object number when indirect, else by its values: a batch's
    # pages all carry the same direct [0 0 595.28 841.89], so it is converted and judged once.
    sizes: dict[Any, str | None] = {}
    try:
        for i, (media, resources) in enumerate(leaves, start=1):
            idnum = getattr(media, "idnum", None)
            size_key: Any = None
            if idnum is not None:
                size_key = ("ref", idnum)
            elif isinstance(media, ArrayObject):
                size_key = ("value", *media)
                try:
                    hash(size_key)
                except TypeError:  # not numbers: _page_size_message says what is wrong
                    size_key = None
            if size_key is not None and size_key in sizes:
                message = sizes[size_key]
            else:
                message = _page_size_message(media)
                if size_key is not None:
                    sizes[size_key] = message
            if message is not None:
                problems.append(Problem("page-size", message, i))
            walk(resources, i)
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
