"""The unit of work a local process or a Dask worker runs: build one batch's envelopes from the
household rows (QR payloads, customer barcodes), render the batch file and preflight it. Pure of
the database, so a worker needs only the font and the shared output folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shikaku.issuance.prepare import (
    EnvelopeContext,
    Household,
    build_envelopes,
    expected_ranges,
)
from shikaku.issuance.render import preflight, render_batch


@dataclass(frozen=True)
class TaskResult:
    batch_id: int
    path: str
    pages: int
    sha256: str
    page_ranges: list[tuple[str, int, int]]
    problems: list[str] = field(default_factory=list)


def render_task(
    batch_id: int,
    households: Sequence[Household],
    context: EnvelopeContext,
    out_path: str,
    font_path: str | None = None,
) -> TaskResult:
    """Build the batch's envelopes, render them to a temporary file, preflight it, then move
    it into place atomically, so a killed run never leaves a half-written batch file under
    its final name."""
    final = Path(out_path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    envelopes = build_envelopes(households, context)
    try:
        result = render_batch(envelopes, tmp, font_path=font_path)
        problems = [str(p) for p in preflight(tmp, expected_pages=result.pages)]
        if result.page_ranges != expected_ranges(households):
            problems.append(
                "page ranges differ from those recorded at prepare / "
                "準備時に記録したページ範囲と一致しません"
            )
        if not problems:
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return TaskResult(
        batch_id, str(final), result.pages, result.sha256, result.page_ranges, problems
    )
