"""Generic table documents (対象者一覧表 and the like) on the same writer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shikaku.issuance.render import (
    MissingGlyphsError,
    Section,
    preflight,
    render_document,
    render_sections,
)

from .support import needs_font, needs_poppler, poppler

pytestmark = needs_font


def _rows(n: int) -> list[list[str]]:
    return [
        [f"{i + 1}", f"協会　太郎{i}", "キョウカイ　タロウ", "1980-04-01", f"{i:02d}"]
        for i in range(n)
    ]


HEADERS = ["No.", "氏名", "フリガナ", "生年月日", "枝番"]


@needs_poppler
def test_table_spans_pages_with_headers(tmp_path: Path) -> None:
    out = render_document(
        tmp_path / "list.pdf",
        title="資格確認書 対象者一覧表",
        subtitle="事業所記号 12345678　株式会社サンプル",
        headers=HEADERS,
        rows=_rows(95),
        align=["right", "left", "left", "center", "center"],
    )
    assert out.pages == 3
    assert out.page_ranges == [("資格確認書 対象者一覧表", 1, 3)]
    assert preflight(out.path, expected_pages=3) == []
    last = poppler("pdftotext", "-f", "3", "-l", "3", str(out.path), "-")
    assert "フリガナ" in last  # header repeated
    assert "3 / 3" in last
    assert "太郎94" in re.sub(r"\s+", "", last)


def test_landscape_and_empty(tmp_path: Path) -> None:
    out = render_document(
        tmp_path / "vol.pdf", title="送付件数表", headers=["支部", "件数"], rows=[], landscape=True
    )
    assert out.pages == 1
    assert preflight(out.path, expected_pages=1) == []


def test_missing_glyphs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MissingGlyphsError):
        render_document(tmp_path / "x.pdf", title="一覧", headers=["氏名"], rows=[["𠮷田"]])
    assert not (tmp_path / "x.pdf").exists()


@needs_poppler
def test_sections_start_on_new_pages(tmp_path: Path) -> None:
    sections = [
        Section(title="対象者一覧表　株式会社A（事業所記号 1111111）", rows=_rows(50)),
        Section(
            title="対象者一覧表　株式会社B（事業所記号 2222222）",
            rows=_rows(3),
            subtitle="発送回 W01",
        ),
    ]
    out = render_sections(tmp_path / "lists.pdf", sections=sections, headers=HEADERS)
    assert out.page_ranges == [(sections[0].title, 1, 2), (sections[1].title, 3, 3)]
    assert preflight(out.path, expected_pages=3) == []
    third = re.sub(r"\s+", "", poppler("pdftotext", "-f", "3", "-l", "3", str(out.path), "-"))
    assert "株式会社B" in third and "1/1" in third and "株式会社A" not in third
    with pytest.raises(ValueError, match="no sections"):
        render_sections(tmp_path / "none.pdf", sections=[], headers=HEADERS)
