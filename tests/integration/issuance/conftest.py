"""A small synthetic insurer, loaded once per backend, for issuance tests."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from shikaku.synth import load, synthesize

AS_OF = date(2025, 4, 30)


@pytest.fixture
def populated(engine: Engine, cipher) -> Engine:  # type: ignore[no-untyped-def]
    load(engine, synthesize(members=3_000, seed=7, as_of=AS_OF), cipher)
    return engine
