"""Cover letters (送付書) for employer envelopes: print-ready, paged, searchable text."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from shikaku.issuance.render import DEFAULT_FONT_PATH, MissingGlyphsError, SenderBlock, preflight
from shikaku.issuance.render.cover import (
    CoverLetter,
    CoverMember,
    pages_for,
    render_cover_letters,
)

pytestmark = pytest.mark.skipif(not DEFAULT_FONT_PATH.exists(), reason="needs IPAexGothic")
SENDER = SenderBlock(
    "全国健康保険協会", "東京支部", "1600023", ["東京都新宿区西新宿1-1-1"], "0570-000-000"
)


def _letter(env: str, n: int, name: str = "株式会社サンプル") -> CoverLetter:
    return CoverLetter(
        envelope_id=env,
        postal_code="1000013",
        address_lines=["東京都千代田区霞が関1丁目3番2号"],
        employer_name=name,
        employer_symbol="1234567",
        members=[
            CoverMember(f"1234567・{i}・00", f"山田　太郎{i}", "本人", f"0163{i:08d}")
            for i in range(1, n + 1)
        ],
        sender=SENDER,
        letter_date=date(2025, 9, 8),
        pieces=n,
    )


def test_render_pages_and_text(tmp_path: Path) -> None:
    letters = [_letter("9130000000015", 3), _letter("9130000000023", 60)]
    res = render_cover_letters(letters, tmp_path / "c.pdf")
    assert res.pages == pages_for(3) + pages_for(60) == 1 + pages_for(60)
    assert pages_for(60) >= 2
    assert res.page_ranges[0] == ("9130000000015", 1, 1)
    assert res.page_ranges[1][1] == 2 and res.page_ranges[1][2] == res.pages
    assert preflight(res.path, expected_pages=res.pages) == []
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(res.path), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert "事業主" in text and "山田" in text and "1234567・60・00" in text
    # same input, same bytes
    again = render_cover_letters(letters, tmp_path / "d.pdf")
    assert again.sha256 == res.sha256


def test_refuses_missing_glyphs_and_empty(tmp_path: Path) -> None:
    with pytest.raises(MissingGlyphsError):
        render_cover_letters(
            [_letter("9130000000015", 1, name="株式会社\U0002a6a5")], tmp_path / "x.pdf"
        )
    with pytest.raises(ValueError):
        render_cover_letters([_letter("9130000000015", 0)], tmp_path / "y.pdf")
    assert not (tmp_path / "x.pdf").exists()
