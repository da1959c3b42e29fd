"""Benchmark the print-shop preflight: the old reader.pages version against the page-tree walk.

Renders one realistic batch file with ``render_batch`` — ENVELOPES synthetic envelopes (1,000 by
default, the size of a real batch file: a carrier letter plus one certificate sheet each, so
about 2,000 pages), built the way ``bench/bench_render.py`` builds them — then times, on that
same file, the OLD preflight (a copy of the implementation before the page-tree walk, kept
below as the baseline) and the NEW ``shikaku.issuance.render.preflight``. Both run once untimed
first (imports; each call opens its own reader, so nothing is cached between runs) and must
report the same problems; then they alternate RUNS times each (old-new, new-old, … so drift on
a shared machine hits both alike). Medians of wall and CPU seconds per file, pages/s and the
old/new ratio are printed. A third row (unless
``--no-floor``) times pypdf alone parsing every page dictionary, checking nothing: the floor
for any preflight that reads the file with pypdf.

    .venv/bin/python bench/bench_preflight.py [--envelopes 1000] [--runs 7]

The process pins itself to one CPU when it can, as bench_render does.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_render import pin_one_core
from shikaku.issuance.render import preflight as new_preflight
from shikaku.issuance.render import render_batch
from shikaku.issuance.render.preflight import Problem, _font_problems, _is_a4
from shikaku.issuance.render.samples import sample_envelopes

# --- BASELINE: the OLD preflight, as it was before the page-tree walk (commit 3e33400) --------
# Kept verbatim apart from its name; the helpers it calls (_is_a4, _font_problems, Problem)
# did not change and are imported from the module.


def old_preflight(path: Path | str, expected_pages: int | None = None) -> list[Problem]:
    """OLD: problems found in the PDF at ``path``, via pypdf's ``reader.pages``."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path), strict=True)
        pages = reader.pages
        count = len(pages)
    except Exception as e:
        return [Problem("parse-error", f"{type(e).__name__}: {e}")]
    problems: list[Problem] = []
    if expected_pages is not None and count != expected_pages:
        problems.append(Problem("page-count", f"{count} pages, expected {expected_pages}"))
    seen_fonts: set[int] = set()
    seen_forms: set[int] = set()
    seen_resources: set[int] = set()

    def walk(resources: Any, page_no: int) -> None:
        if resources is None:
            return
        res_id = getattr(resources, "idnum", None)
        if res_id is not None:  # pages of a batch share one resource dictionary: check it once
            if res_id in seen_resources:
                return
            seen_resources.add(res_id)
        resources = resources.get_object()
        fonts = resources.get("/Font")
        if fonts is not None:
            for f_ref in fonts.get_object().values():
                key = getattr(f_ref, "idnum", id(f_ref))
                if key in seen_fonts:
                    continue
                seen_fonts.add(key)
                problems.extend(_font_problems(f_ref.get_object(), page_no))
        xobjects = resources.get("/XObject")
        if xobjects is not None:
            for x_ref in xobjects.get_object().values():
                key = getattr(x_ref, "idnum", id(x_ref))
                if key in seen_forms:
                    continue
                seen_forms.add(key)
                x = x_ref.get_object()
                if x.get("/Subtype") == "/Form":
                    walk(x.get("/Resources"), page_no)

    try:
        for i, page in enumerate(pages, start=1):
            box = page.mediabox
            if not _is_a4(float(box.width), float(box.height)):
                problems.append(
                    Problem(
                        "page-size",
                        f"{float(box.width):.1f} × {float(box.height):.1f} pt is not A4",
                        i,
                    )
                )
            walk(page.raw_get("/Resources") if "/Resources" in page else None, i)
    except Exception as e:
        problems.append(Problem("parse-error", f"{type(e).__name__}: {e}"))
    return problems


# --- END OF BASELINE ---------------------------------------------------------------------------


OLD, NEW, FLOOR = "old (reader.pages)", "new (page-tree walk)", "floor: pypdf parse only"


def parse_floor(path: Path) -> list[Problem]:
    """Not a preflight: pypdf opening the file and parsing every page dictionary of a flat
    page tree (what render_batch writes), nothing checked — what an independent reader built
    on pypdf cannot go below."""
    from pypdf import PdfReader

    reader = PdfReader(str(path), strict=True)
    catalog: Any = reader.trailer["/Root"]
    for kid in catalog["/Pages"]["/Kids"]:
        kid.get_object()
    return []


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call, including collecting its own garbage.

    A pypdf reader's objects refer to each other (objects → reader → object cache), so they are
    freed by the cycle collector, at some later allocation — which could land in the next,
    other implementation's run. So the collector runs before the clock starts, and once more
    before it stops: each run pays for its own garbage, as the worker would.
    """
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    gc.collect()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envelopes", type=int, default=1000, help="envelopes in the batch file")
    ap.add_argument("--runs", type=int, default=7, help="timed runs of each implementation")
    ap.add_argument(
        "--no-floor", action="store_true", help="leave out the parse-only floor (third row)"
    )
    args = ap.parse_args()
    pinned = pin_one_core()
    envelopes = sample_envelopes(args.envelopes, seed=2025, max_members=4)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.pdf"
        result = render_batch(envelopes, path)
        pages, size_mb = result.pages, path.stat().st_size / 1e6
        impls: dict[str, Callable[[], list[Problem]]] = {
            OLD: lambda: old_preflight(path, pages),
            NEW: lambda: new_preflight(path, pages),
        }
        found = {label: fn() for label, fn in impls.items()}  # untimed warm-up
        if len(set(map(tuple, found.values()))) != 1:
            raise SystemExit(f"the two preflights disagree: {found}")
        if not args.no_floor:
            impls[FLOOR] = lambda: parse_floor(path)
            impls[FLOOR]()
        times: dict[str, list[tuple[float, float]]] = {label: [] for label in impls}
        order = list(impls)
        for run in range(args.runs):
            for label in order if run % 2 == 0 else reversed(order):
                times[label].append(timed(impls[label]))

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {pinned}"
    )
    print(
        f"{args.envelopes} envelopes, {pages} pages, {size_mb:.1f} MB; "
        f"problems found: {len(next(iter(found.values())))}; {args.runs} runs each\n"
    )
    print("| preflight | median wall s | min–max wall s | median CPU s | pages/s (wall) |")
    print("|---|---:|---:|---:|---:|")
    medians: dict[str, tuple[float, float]] = {}
    for label, runs in times.items():
        walls = [w for w, _ in runs]
        wall, cpu = statistics.median(walls), statistics.median(c for _, c in runs)
        medians[label] = wall, cpu
        print(
            f"| {label} | {wall:.3f} | {min(walls):.3f}–{max(walls):.3f} | {cpu:.3f} "
            f"| {pages / wall:,.0f} |"
        )
    (old_w, old_c), (new_w, new_c) = medians[OLD], medians[NEW]
    # each old run sits next to a new one, so the ratio within a pair shrugs off slow drift
    old_runs, new_runs = times[OLD], times[NEW]
    paired = statistics.median(o[0] / n[0] for o, n in zip(old_runs, new_runs, strict=True))
    print(
        f"\nratio old/new: {old_w / new_w:.2f}× (median wall), {old_c / new_c:.2f}× (median CPU), "
        f"{paired:.2f}× (median of the {args.runs} paired wall ratios)"
    )


if __name__ == "__main__":
    main()
