"""Fixtures for the renderer tests: one 50-envelope batch rendered once per session."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shikaku.issuance.render import DEFAULT_FONT_PATH, BatchResult, Envelope, render_batch
from shikaku.issuance.render.samples import sample_envelopes


@pytest.fixture(scope="session")
def envelopes() -> list[Envelope]:
    envs = sample_envelopes(50, seed=11)
    # one large household: 13 certificates → 2 sheets and 「ほか」 on the letter
    big = envs[0]
    members = [replace(big.members[0], branch_no=f"{i:02d}") for i in range(13)]
    envs[0] = replace(big, members=members)
    return envs


@pytest.fixture(scope="session")
def batch(envelopes: list[Envelope], tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    if not DEFAULT_FONT_PATH.exists():
        pytest.skip("IPAexGothic (fonts-ipaexfont) is not installed")
    out = tmp_path_factory.mktemp("render") / "batch.pdf"
    return render_batch(envelopes, out)
