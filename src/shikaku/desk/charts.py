"""PNG charts of the forecast and the roster (matplotlib, Agg backend, no display needed).

Labels use language codes and English/ASCII text only, so no CJK font is required.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from shikaku.desk.forecast import Forecast
from shikaku.desk.staffing import Roster

__all__ = ["forecast_chart", "staffing_chart"]

TOP_LANGUAGES = 6


def forecast_chart(
    forecast: Forecast,
    path: Path,
    *,
    observed: Mapping[date, float] | None = None,
    title: str = "Expected contacts per day",
) -> Path:
    """Stacked daily calls by language (top few + other), letters landing on a second axis,
    and the observed inquiries as dots when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    days = list(forecast.days)
    daily = forecast.daily
    top = list(forecast.langs[:TOP_LANGUAGES])
    layers = [daily * forecast.shares[x] for x in top]
    labels = top[:]
    rest = [x for x in forecast.langs if x not in top]
    if rest:
        layers.append(daily * sum(forecast.shares[x] for x in rest))
        labels.append(f"other ({len(rest)})")
    fig, (ax, ax_h) = plt.subplots(
        2, 1, figsize=(11, 7), height_ratios=(3, 1), constrained_layout=True
    )
    ax.stackplot(days, *layers, labels=labels, alpha=0.85)
    if observed:
        obs_days = sorted(d for d in observed if days[0] <= d <= days[-1])
        ax.plot(obs_days, [observed[d] for d in obs_days], "k.", label="observed")
    ax.set_title(title)
    ax.set_ylabel("calls per day")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.legend(loc="upper left", fontsize="small", ncols=2)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(days, forecast.landed, color="grey", lw=1, ls="--", label="letters landing")
    ax2.set_ylabel("letters landing per day")
    ax2.legend(loc="upper right", fontsize="small")
    hours = list(forecast.hours)
    ax_h.bar([f"{h}:00" for h in hours], np.asarray(forecast.config.hourly_profile) * 100)
    ax_h.set_ylabel("% of a day")
    ax_h.set_title("Hourly profile", fontsize="small")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def staffing_chart(
    roster: Roster, path: Path, *, title: str = "Scheduled agents at each day's busiest hour"
) -> Path:
    """Stacked bars: scheduled agents per queue at the busiest interval of each day; below,
    the average agents per hour of the day."""
    path.parent.mkdir(parents=True, exist_ok=True)
    queues = roster.queues
    per_day: dict[date, dict[tuple[int, str], int]] = defaultdict(dict)
    for r in roster.rows:
        per_day[r.day][(r.hour, r.queue)] = r.result.agents
    days = sorted(per_day)
    # For each day, the hour with the most agents in total, and each queue's agents then.
    peak_layers = {q: np.zeros(len(days)) for q in queues}
    for i, d in enumerate(days):
        totals: dict[int, int] = defaultdict(int)
        for (h, _), a in per_day[d].items():
            totals[h] += a
        peak_hour = max(totals, key=lambda h: totals[h])
        for q in queues:
            peak_layers[q][i] = per_day[d].get((peak_hour, q), 0)
    hours = sorted({r.hour for r in roster.rows})
    by_hour = {q: np.zeros(len(hours)) for q in queues}
    counts = np.zeros(len(hours))
    for r in roster.rows:
        j = hours.index(r.hour)
        by_hour[r.queue][j] += r.result.agents
        if r.queue == queues[0]:
            counts[j] += 1
    fig, (ax, ax_h) = plt.subplots(
        2, 1, figsize=(11, 7), height_ratios=(3, 2), constrained_layout=True
    )
    bottom = np.zeros(len(days))
    for q in queues:
        ax.bar(days, peak_layers[q], bottom=bottom, label=q, width=0.8)
        bottom += peak_layers[q]
    ax.set_title(title)
    ax.set_ylabel("agents (with shrinkage)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.legend(fontsize="small", ncols=2)
    ax.grid(alpha=0.3, axis="y")
    bottom_h = np.zeros(len(hours))
    safe = np.where(counts > 0, counts, 1)
    for q in queues:
        ax_h.bar([f"{h}:00" for h in hours], by_hour[q] / safe, bottom=bottom_h, label=q)
        bottom_h += by_hour[q] / safe
    ax_h.set_title("Average scheduled agents by hour of day", fontsize="small")
    ax_h.set_ylabel("agents")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
