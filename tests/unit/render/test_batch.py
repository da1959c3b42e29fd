"""A 50-envelope batch: page ranges, fonts, extractable text, preflight, determinism."""

from __future__ import annotations

import hashlib
import re
from dataclasses import fields, replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from shikaku.issuance.render import (
    MAX_ENVELOPES_PER_FILE,
    BatchResult,
    CertificateData,
    Envelope,
    MissingGlyphsError,
    check_glyphs,
    preflight,
    render_batch,
    sheets_for,
)

from .support import needs_font, needs_poppler, poppler

pytestmark = needs_font


def test_page_ranges_cover_every_page_in_order(
    envelopes: list[Envelope], batch: BatchResult
) -> None:
    expected = sum(1 + sheets_for(len(e.members)) for e in envelopes)
    assert batch.pages == expected
    assert [r[0] for r in batch.page_ranges] == [e.piece_id for e in envelopes]
    nxt = 1
    for (_, first, last), env in zip(batch.page_ranges, envelopes, strict=True):
        assert first == nxt
        assert last - first + 1 == 1 + sheets_for(len(env.members))
        nxt = last + 1
    assert nxt - 1 == batch.pages
    assert batch.page_ranges[0][1:] == (1, 3)  # 13 certificates: letter + 2 sheets
    assert len(PdfReader(str(batch.path)).pages) == batch.pages


def test_sha256_is_the_files(batch: BatchResult) -> None:
    assert batch.sha256 == hashlib.sha256(batch.path.read_bytes()).hexdigest()
    assert not batch.path.with_name(batch.path.name + ".part").exists()


def test_rendering_is_deterministic(
    envelopes: list[Envelope], batch: BatchResult, tmp_path: Path
) -> None:
    again = render_batch(envelopes, tmp_path / "again.pdf")
    assert again.sha256 == batch.sha256


def test_preflight_passes(batch: BatchResult) -> None:
    assert preflight(batch.path, expected_pages=batch.pages) == []


def test_preflight_catches_wrong_page_count(batch: BatchResult) -> None:
    problems = preflight(batch.path, expected_pages=batch.pages + 1)
    assert [p.code for p in problems] == ["page-count"]


@needs_poppler
def test_pdffonts_shows_one_embedded_subset_font(batch: BatchResult) -> None:
    out = poppler("pdffonts", str(batch.path))
    rows = out.strip().splitlines()[2:]
    assert len(rows) == 1
    assert re.match(r"^[A-Z]{6}\+IPAexGothic\s+CID TrueType\s+Identity-H\s+yes yes yes", rows[0])


@needs_poppler
def test_text_is_extractable(envelopes: list[Envelope], batch: BatchResult) -> None:
    env = envelopes[5]
    _, first, last = batch.page_ranges[5]
    text = poppler("pdftotext", "-f", str(first), "-l", str(last), str(batch.path), "-")
    flat = re.sub(r"\s+", "", text)
    member = env.members[0]
    assert re.sub(r"\s+", "", member.name) in flat  # kanji name round-trips via ToUnicode
    assert member.symbol in flat  # 記号
    assert "健康保険資格確認書" in flat
    assert env.piece_id in flat
    assert "〒" + env.postal_code in flat


@needs_poppler
def test_letter_lists_names_and_overflow(envelopes: list[Envelope], batch: BatchResult) -> None:
    text = poppler("pdftotext", "-f", "1", "-l", "1", str(batch.path), "-")
    assert "ほか 5名" in text  # 13 names, 8 shown
    assert "13枚" in text


@needs_poppler
def test_uncommon_but_supported_kanji(tmp_path: Path, envelopes: list[Envelope]) -> None:
    env = envelopes[1]
    m = replace(env.members[0], name="髙﨑　德次郎")
    out = render_batch([replace(env, members=[m])], tmp_path / "k.pdf")
    assert "髙﨑德次郎" in re.sub(r"\s+", "", poppler("pdftotext", str(out.path), "-"))


def test_missing_glyph_holds_the_batch_back(envelopes: list[Envelope], tmp_path: Path) -> None:
    env = envelopes[2]
    odd = replace(env.members[0], name="𠮷田　太郎")
    bad = replace(env, members=[odd, *env.members[1:]])
    assert check_glyphs([envelopes[1], bad]) == {bad.piece_id: {"𠮷"}}
    out = tmp_path / "held.pdf"
    with pytest.raises(MissingGlyphsError) as err:
        render_batch([envelopes[1], bad], out)
    assert err.value.missing == {bad.piece_id: {"𠮷"}}
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_limits(envelopes: list[Envelope], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="no envelopes"):
        render_batch([], tmp_path / "x.pdf")
    with pytest.raises(ValueError, match="no certificates"):
        render_batch([replace(envelopes[0], members=[])], tmp_path / "x.pdf")
    monkeypatch.setattr("shikaku.issuance.render.batch.MAX_ENVELOPES_PER_FILE", 2)
    with pytest.raises(ValueError, match="at most 2"):
        render_batch(envelopes[:3], tmp_path / "x.pdf")
    assert MAX_ENVELOPES_PER_FILE == 1000


def test_no_my_number_anywhere_in_the_input_model() -> None:
    names = {f.name for cls in (Envelope, CertificateData) for f in fields(cls)}
    assert not any("my_number" in n or "individual" in n for n in names)


def test_envelope_without_barcode(envelopes: list[Envelope], tmp_path: Path) -> None:
    out = render_batch([replace(envelopes[3], barcode_symbols=[])], tmp_path / "nb.pdf")
    assert preflight(out.path, expected_pages=out.pages) == []


def test_prepare_predicts_every_envelopes_pages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Prepare stores each piece's page range before rendering (pages_for); the renderer
    must lay envelopes out exactly so, including households with more than 8 certificates."""
    from dataclasses import replace

    from shikaku.issuance.prepare import pages_for
    from shikaku.issuance.render import render_batch
    from shikaku.issuance.render.samples import sample_envelopes

    envs = sample_envelopes(12, seed=5)
    big = replace(envs[0], piece_id="big", members=list(envs[0].members) * 9)
    envs = [*envs, big]
    result = render_batch(envs, tmp_path / "b.pdf")
    page = 0
    for env, (pid, first, last) in zip(envs, result.page_ranges, strict=True):
        assert (pid, first, last) == (env.piece_id, page + 1, page + pages_for(len(env.members)))
        page = last
    assert page == result.pages
