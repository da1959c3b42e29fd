"""Preflight walks the page tree itself: inheritance, nesting, /Count and malformed trees.

The files are written byte by byte here (objects, xref table, trailer), not by the project's
writer, so each test controls exactly what tree the reader meets.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from shikaku.issuance.render import Problem, preflight

# the package re-exports the function under the module's name, so fetch the module itself
preflight_module = importlib.import_module("shikaku.issuance.render.preflight")

A4 = "[0 0 595.28 841.89]"
LETTER = "[0 0 612 792]"
HELVETICA = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def write_pdf(path: Path, objects: dict[int, str], root: int = 1) -> Path:
    """A classic-xref PDF holding ``objects`` (number → PDF syntax) with catalog ``root``."""
    out = bytearray(b"%PDF-1.7\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{objects[number]}\nendobj\n".encode()
    size = max(objects) + 1
    xref = len(out)
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for number in range(1, size):
        if number in offsets:
            out += f"{offsets[number]:010d} 00000 n \n".encode()
        else:
            out += b"0000000000 65535 f \n"
    out += f"trailer\n<< /Size {size} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def page(parent: int, extra: str = "") -> str:
    return f"<< /Type /Page /Parent {parent} 0 R {extra} >>"


def pages(kids: list[int], count: int | None, extra: str = "", parent: int | None = None) -> str:
    up = f"/Parent {parent} 0 R " if parent is not None else ""
    n = f"/Count {count} " if count is not None else ""
    refs = " ".join(f"{k} 0 R" for k in kids)
    return f"<< /Type /Pages {up}{n}/Kids [{refs}] {extra} >>"


CATALOG = "<< /Type /Catalog /Pages 2 0 R >>"


def codes(problems: list[Problem]) -> list[tuple[str, int | None]]:
    return [(p.code, p.page) for p in problems]


# -- inheritance --------------------------------------------------------------------------------


def test_mediabox_inherited_from_pages_node(tmp_path: Path) -> None:
    objs = {1: CATALOG, 2: pages([3, 4], 2, f"/MediaBox {A4}"), 3: page(2), 4: page(2)}
    assert preflight(write_pdf(tmp_path / "a4.pdf", objs), 2) == []
    objs[2] = pages([3, 4], 2, f"/MediaBox {LETTER}")
    problems = preflight(write_pdf(tmp_path / "letter.pdf", objs), 2)
    assert codes(problems) == [("page-size", 1), ("page-size", 2)]
    assert problems[0].message == "612.0 × 792.0 pt is not A4"


def test_page_without_any_mediabox_does_not_pass(tmp_path: Path) -> None:
    objs = {1: CATALOG, 2: pages([3], 1), 3: page(2)}
    assert [p.code for p in preflight(write_pdf(tmp_path / "none.pdf", objs), 1)] == ["parse-error"]


def test_leaf_mediabox_overrides_the_inherited_one(tmp_path: Path) -> None:
    objs = {
        1: CATALOG,
        2: pages([3, 4, 5], 3, f"/MediaBox {A4}"),
        3: page(2),
        4: page(2, f"/MediaBox {LETTER}"),
        5: page(2),
    }
    problems = preflight(write_pdf(tmp_path / "mixed.pdf", objs), 3)
    assert codes(problems) == [("page-size", 2)]
    assert problems[0].message == "612.0 × 792.0 pt is not A4"


def test_a4_leaf_under_a_letter_parent_passes(tmp_path: Path) -> None:
    objs = {
        1: CATALOG,
        2: pages([3, 4], 2, f"/MediaBox {LETTER}"),
        3: page(2, f"/MediaBox {A4}"),
        4: page(2),
    }
    assert codes(preflight(write_pdf(tmp_path / "f.pdf", objs), 2)) == [("page-size", 2)]


def test_null_mediabox_on_a_leaf_counts_as_absent(tmp_path: Path) -> None:
    objs = {1: CATALOG, 2: pages([3], 1, f"/MediaBox {LETTER}"), 3: page(2, "/MediaBox null")}
    assert codes(preflight(write_pdf(tmp_path / "f.pdf", objs), 1)) == [("page-size", 1)]


def test_nested_pages_nodes_pass_attributes_down_in_page_order(tmp_path: Path) -> None:
    # 2 (A4) → [3, 4 → [5, 6 (Letter) → [7, 8]], 9]: pages 3, 5, 7, 8, 9 are pages 1–5
    objs = {
        1: CATALOG,
        2: pages([3, 4, 9], 5, f"/MediaBox {A4}"),
        3: page(2),
        4: pages([5, 6], 3, parent=2),
        5: page(4),
        6: pages([7, 8], 2, f"/MediaBox {LETTER}", parent=4),
        7: page(6),
        8: page(6),
        9: page(2),
    }
    problems = preflight(write_pdf(tmp_path / "nested.pdf", objs), 5)
    assert codes(problems) == [("page-size", 3), ("page-size", 4)]


def test_shared_indirect_mediabox_reports_every_page(tmp_path: Path) -> None:
    objs = {
        1: CATALOG,
        2: pages([3, 4, 5], 3),
        3: page(2, "/MediaBox 6 0 R"),
        4: page(2, f"/MediaBox {A4}"),
        5: page(2, "/MediaBox 6 0 R"),
        6: LETTER,
    }
    problems = preflight(write_pdf(tmp_path / "shared.pdf", objs), 3)
    assert codes(problems) == [("page-size", 1), ("page-size", 3)]


def test_resources_inherited_from_a_parent(tmp_path: Path) -> None:
    objs = {
        1: CATALOG,
        2: pages([3, 4], 2, f"/MediaBox {A4} /Resources << /Font << /F1 5 0 R >> >>"),
        3: page(2, "/Resources << >>"),  # its own (empty) resources win over the parent's
        4: page(2),
        5: HELVETICA,
    }
    problems = preflight(write_pdf(tmp_path / "res.pdf", objs), 2)
    assert codes(problems) == [("font-not-embedded", 2)]
    assert "Helvetica" in problems[0].message


def test_resources_inherited_through_an_intermediate_node(tmp_path: Path) -> None:
    objs = {
        1: CATALOG,
        2: pages([3], 1, f"/MediaBox {A4} /Resources 5 0 R"),
        3: pages([4], 1, parent=2),
        4: page(3),
        5: "<< /Font << /F1 6 0 R >> >>",
        6: HELVETICA,
    }
    assert codes(preflight(write_pdf(tmp_path / "res2.pdf", objs), 1)) == [("font-not-embedded", 1)]


def test_font_not_embedded_in_a_form_xobject(tmp_path: Path) -> None:
    objs = {
        1: CATALOG,
        2: pages([3, 4], 2, f"/MediaBox {A4}"),
        3: page(2, "/Resources << >>"),
        4: page(2, "/Resources << /XObject << /Fm1 5 0 R >> >>"),
        # a form drawing another form: the font sits two levels down
        5: "<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] "
        "/Resources << /XObject << /Fm2 6 0 R >> >> /Length 0 >>\nstream\n\nendstream",
        6: "<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] "
        "/Resources << /Font << /F1 7 0 R >> >> /Length 0 >>\nstream\n\nendstream",
        7: HELVETICA,
    }
    problems = preflight(write_pdf(tmp_path / "form.pdf", objs), 2)
    assert codes(problems) == [("font-not-embedded", 2)]


# -- counting -----------------------------------------------------------------------------------


def test_page_count_is_the_number_of_leaves(tmp_path: Path) -> None:
    objs = {1: CATALOG, 2: pages([3, 4, 5], 3, f"/MediaBox {A4}"), 3: page(2), 4: page(2)}
    objs[5] = page(2)
    path = write_pdf(tmp_path / "three.pdf", objs)
    assert preflight(path, 3) == []
    assert preflight(path) == []
    problems = preflight(path, 2)
    assert codes(problems) == [("page-count", None)]
    assert problems[0].message == "3 pages, expected 2"


def test_root_count_disagreeing_with_the_leaves(tmp_path: Path) -> None:
    objs = {1: CATALOG, 2: pages([3, 4], 3, f"/MediaBox {A4}"), 3: page(2), 4: page(2)}
    path = write_pdf(tmp_path / "count.pdf", objs)
    problems = preflight(path, 2)  # the leaves, not /Count, are the page count
    assert codes(problems) == [("page-tree", None)]
    assert problems[0].message == "/Pages 2 0 R has /Count 3 but 2 pages below it"
    assert codes(preflight(path, 3)) == [("page-count", None), ("page-tree", None)]


def test_inner_count_disagreeing_with_its_leaves(tmp_path: Path) -> None:
    objs = {
        1: CATALOG,
        2: pages([3, 4], 3, f"/MediaBox {A4}"),
        3: page(2),
        4: pages([5, 6], 1, parent=2),  # says 1, holds 2; the root's 3 is right
        5: page(4),
        6: page(4),
    }
    problems = preflight(write_pdf(tmp_path / "inner.pdf", objs), 3)
    assert [p.message for p in problems] == ["/Pages 4 0 R has /Count 1 but 2 pages below it"]


def test_missing_count(tmp_path: Path) -> None:
    objs = {1: CATALOG, 2: pages([3], None, f"/MediaBox {A4}"), 3: page(2)}
    problems = preflight(write_pdf(tmp_path / "nocount.pdf", objs), 1)
    assert codes(problems) == [("page-tree", None)]
    assert problems[0].message == "/Pages 2 0 R has no integer /Count"


# -- trees that are not trees -------------------------------------------------------------------


@pytest.mark.parametrize(
    "objs",
    [
        pytest.param({2: pages([3, 2], 2, f"/MediaBox {A4}"), 3: page(2)}, id="self"),
        pytest.param(
            {
                2: pages([3, 4], 2, f"/MediaBox {A4}"),
                3: page(2),
                4: pages([5], 1, parent=2),
                5: pages([4], 1, parent=4),
            },
            id="two-hop",
        ),
        pytest.param({2: pages([3, 3], 2, f"/MediaBox {A4}"), 3: page(2)}, id="shared-kid"),
    ],
)
def test_cyclic_kids_do_not_parse(tmp_path: Path, objs: dict[int, str]) -> None:
    problems = preflight(write_pdf(tmp_path / "cycle.pdf", {1: CATALOG, **objs}), 2)
    assert codes(problems) == [("parse-error", None)]
    assert "reached twice" in problems[0].message


def test_absurd_depth_does_not_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preflight_module, "MAX_TREE_DEPTH", 4)
    # a chain of /Pages nodes 2 → 3 → … → depth+2, then one page
    objs = {1: CATALOG}
    last = 2 + 6
    for n in range(2, last):
        objs[n] = pages([n + 1], 1, f"/MediaBox {A4}" if n == 2 else "", parent=n - 1)
    objs[last] = page(last - 1)
    problems = preflight(write_pdf(tmp_path / "deep.pdf", objs), 1)
    assert codes(problems) == [("parse-error", None)]
    assert "deeper than 4" in problems[0].message
    monkeypatch.setattr(preflight_module, "MAX_TREE_DEPTH", 6)
    assert preflight(write_pdf(tmp_path / "deep.pdf", objs), 1) == []


@pytest.mark.parametrize(
    "kid",
    [
        pytest.param("<< /Type /Annot /Subtype /Text >>", id="annotation"),
        pytest.param("(a string)", id="string"),
        pytest.param("null", id="null"),
    ],
)
def test_kid_that_is_no_page_does_not_parse(tmp_path: Path, kid: str) -> None:
    objs = {1: CATALOG, 2: pages([3, 4], 1, f"/MediaBox {A4}"), 3: page(2), 4: kid}
    assert codes(preflight(write_pdf(tmp_path / "kid.pdf", objs), 1)) == [("parse-error", None)]
