"""Fixtures for the synthetic-population tests (one 50,000-member population per session)."""

from __future__ import annotations

from datetime import date

import pytest

from shikaku.synth.population import Population, synthesize

SYNTH_AS_OF = date(2025, 4, 30)
SYNTH_SEED = 2025


@pytest.fixture(scope="session")
def synth_pop_50k() -> Population:
    """50,000 members, seed 2025, as of 2025-04-30 (about one second to build)."""
    return synthesize(50_000, SYNTH_SEED, SYNTH_AS_OF)
