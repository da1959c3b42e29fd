"""The low-level writer: objects, streams, xref and escaping."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from shikaku.issuance.render.pdf import PdfWriter, array, name, ref, string


def test_escaping() -> None:
    assert name("F1") == "/F1"
    assert name("A B#") == "/A#20B#23"
    assert string("a(b)\\") == "(a\\(b\\)\\\\)"
    assert string("資格") == "<FEFF8CC7683C>"
    assert array([1, ref(2)]) == "[1 2 0 R]"


def _minimal(path: Path, *, compress: bool = True) -> str:
    with PdfWriter(path) as w:
        pages = w.reserve()
        content = w.add_stream("", b"0 0 10 10 re f", compress=compress)
        page = w.add(
            f"<< /Type /Page /Parent {ref(pages)} /MediaBox [0 0 595.28 841.89] "
            f"/Contents {ref(content)} /Resources << >> >>"
        )
        w.write(pages, f"<< /Type /Pages /Count 1 /Kids [{ref(page)}] >>")
        root = w.add(f"<< /Type /Catalog /Pages {ref(pages)} >>")
        return w.finish(root=root, file_id=b"\x01" * 16)


@pytest.mark.parametrize("compress", [True, False])
def test_minimal_file_parses_strictly(tmp_path: Path, compress: bool) -> None:
    out = tmp_path / "m.pdf"
    _minimal(out, compress=compress)
    reader = PdfReader(str(out), strict=True)
    assert len(reader.pages) == 1
    contents = reader.pages[0].get_contents()
    assert contents is not None
    assert contents.get_data() == b"0 0 10 10 re f"
    assert out.read_bytes().startswith(b"%PDF-1.7")


def test_unfinished_file_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    with PdfWriter(out) as w:
        w.add("<< >>")
    assert list(tmp_path.iterdir()) == []


def test_reserved_but_unwritten_object_is_an_error(tmp_path: Path) -> None:
    with PdfWriter(tmp_path / "x.pdf") as w:
        w.reserve()
        root = w.add("<< /Type /Catalog >>")
        with pytest.raises(ValueError, match="never written"):
            w.finish(root=root)


def test_object_written_twice_is_an_error(tmp_path: Path) -> None:
    with PdfWriter(tmp_path / "x.pdf") as w:
        n = w.add("<< >>")
        with pytest.raises(ValueError, match="twice"):
            w.write(n, "<< >>")
