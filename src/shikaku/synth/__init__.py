"""A deterministic synthetic insurer for demos, tests and benchmarks, and its bulk loaders.

>>> from datetime import date
>>> pop = synthesize(1_000, seed=1, as_of=date(2025, 4, 30))
>>> pop.row_counts()["person"]
1000

``load(engine, pop, cipher)`` writes it to SQLite or PostgreSQL in one transaction.
"""

from shikaku.synth.load import (
    LoadError,
    LoadStats,
    PopulationExistsError,
    load,
)
from shikaku.synth.population import (
    DEFAULT_AS_OF,
    Population,
    needs_certificate,
    synthesize,
)

__all__ = [
    "DEFAULT_AS_OF",
    "LoadError",
    "LoadStats",
    "Population",
    "PopulationExistsError",
    "load",
    "needs_certificate",
    "synthesize",
]
