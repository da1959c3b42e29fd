"""Preflight finds what a print shop would reject."""

from __future__ import annotations

from pathlib import Path

import pytest

from shikaku.issuance.render import preflight
from shikaku.issuance.render.pdf import PdfWriter, ref
from shikaku.issuance.render.preflight import main


def _one_page(path: Path, *, media: str = "[0 0 595.28 841.89]", font: str | None = None) -> None:
    with PdfWriter(path) as w:
        pages = w.reserve()
        res = "<< >>"
        if font is not None:
            res = f"<< /Font << /F1 {ref(w.add(font))} >> >>"
        content = w.add_stream("", b"BT /F1 12 Tf 72 72 Td (Hi) Tj ET")
        page = w.add(
            f"<< /Type /Page /Parent {ref(pages)} /MediaBox {media} "
            f"/Resources {res} /Contents {ref(content)} >>"
        )
        w.write(pages, f"<< /Type /Pages /Count 1 /Kids [{ref(page)}] >>")
        w.finish(root=w.add(f"<< /Type /Catalog /Pages {ref(pages)} >>"))


def test_letter_size_page_is_not_a4(tmp_path: Path) -> None:
    out = tmp_path / "letter.pdf"
    _one_page(out, media="[0 0 612 792]")
    assert [p.code for p in preflight(out, 1)] == ["page-size"]


def test_landscape_a4_is_a4(tmp_path: Path) -> None:
    out = tmp_path / "land.pdf"
    _one_page(out, media="[0 0 841.89 595.28]")
    assert preflight(out, 1) == []


def test_base14_font_is_not_embedded(tmp_path: Path) -> None:
    out = tmp_path / "helv.pdf"
    _one_page(out, font="<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    problems = preflight(out, 1)
    assert [p.code for p in problems] == ["font-not-embedded"]
    assert "Helvetica" in problems[0].message


def test_cid_font_without_file_is_not_embedded(tmp_path: Path) -> None:
    out = tmp_path / "heisei.pdf"
    with PdfWriter(out) as w:
        pages, font = w.reserve(), w.reserve()
        desc = w.add("<< /Type /FontDescriptor /FontName /HeiseiKakuGo-W5 /Flags 4 >>")
        cid = w.add(
            f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 "
            f"/FontDescriptor {ref(desc)} >>"
        )
        w.write(
            font,
            f"<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5-UniJIS-UCS2-H "
            f"/Encoding /UniJIS-UCS2-H /DescendantFonts [{ref(cid)}] >>",
        )
        content = w.add_stream("", b"")
        page = w.add(
            f"<< /Type /Page /Parent {ref(pages)} /MediaBox [0 0 595.28 841.89] "
            f"/Resources << /Font << /F1 {ref(font)} >> >> /Contents {ref(content)} >>"
        )
        w.write(pages, f"<< /Type /Pages /Count 1 /Kids [{ref(page)}] >>")
        w.finish(root=w.add(f"<< /Type /Catalog /Pages {ref(pages)} >>"))
    assert [p.code for p in preflight(out, 1)] == ["font-not-embedded"]


def test_embedded_font_without_subset_tag(tmp_path: Path) -> None:
    out = tmp_path / "whole.pdf"
    with PdfWriter(out) as w:
        ff = w.add_stream("/Length1 4", b"\x00\x01\x00\x00")
        desc = w.add(f"<< /Type /FontDescriptor /FontName /Whole /Flags 32 /FontFile2 {ref(ff)} >>")
        font = f"<< /Type /Font /Subtype /TrueType /BaseFont /Whole /FontDescriptor {ref(desc)} >>"
        pages = w.reserve()
        f = w.add(font)
        content = w.add_stream("", b"")
        page = w.add(
            f"<< /Type /Page /Parent {ref(pages)} /MediaBox [0 0 595.28 841.89] "
            f"/Resources << /Font << /F1 {ref(f)} >> >> /Contents {ref(content)} >>"
        )
        w.write(pages, f"<< /Type /Pages /Count 1 /Kids [{ref(page)}] >>")
        w.finish(root=w.add(f"<< /Type /Catalog /Pages {ref(pages)} >>"))
    assert [p.code for p in preflight(out, 1)] == ["font-not-subset"]


def test_garbage_does_not_parse(tmp_path: Path) -> None:
    out = tmp_path / "junk.pdf"
    out.write_bytes(b"%PDF-1.7\nthis is not a pdf")
    assert [p.code for p in preflight(out, 1)] == ["parse-error"]


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ok.pdf"
    _one_page(out)
    assert main([str(out), "--pages", "1"]) == 0
    assert capsys.readouterr().out.strip().endswith("ok.pdf: ok")
    assert main([str(out), "--pages", "2"]) == 1
    assert "page-count" in capsys.readouterr().out
