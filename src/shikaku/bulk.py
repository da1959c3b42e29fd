"""Helpers for bulk work in Python: a million rows at a time."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector for a bulk step.

    Parsing a million-row file builds millions of small lists and tuples that all stay alive
    until the step ends. Each of them counts towards the collector's thresholds, so it keeps
    re-scanning the ever-growing heap of survivors: reading the 1,000,000-row returns CSV took
    4.8–5.2 s with the collector on and 1.6 s with it paused (bench/README.md). Such steps
    create no reference cycles — their garbage goes by reference counting — so nothing is
    lost by pausing; the collector resumes (if it was on) when the step ends, also on error.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
