"""Wave planning: when each branch's envelopes are posted.

Two ways to get a plan:

* a **schedule file** (TOML or YAML) with one window per branch, as the insurer published it;
* **generated from capacity**: the pilot branch alone on its date, then every other branch in
  the configured order, filling the print shop's daily capacity on business days only, and
  finishing before the cut-off (the day legacy cards stop working).

Both give the same :class:`WavePlan` rows; :func:`daily_letters` spreads a wave's envelopes over
its business days for charts and the inquiry-desk forecast.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from shikaku.domain.calendar import business_days, is_business_day, next_business_day
from shikaku.domain.prefectures import PREFECTURES, by_code, by_name

PILOT_BRANCH = "32"  # 島根支部 (the council report's pilot)
PILOT_DATE = date(2025, 7, 31)
DEFAULT_CAPACITY = 120_000  # envelopes per business day across print shops
DEFAULT_CUTOFF = date(2025, 12, 1)  # last day legacy cards work; all mail posted by then


class PlanError(ValueError):
    """The plan cannot be made as asked; the message is bilingual."""


@dataclass(frozen=True)
class WavePlan:
    code: str
    branch_code: str
    post_from: date
    post_to: date
    envelopes: int
    pilot: bool = False
    #: Envelopes per posting day when the plan was generated from capacity; empty for a
    #: schedule file, whose waves are spread evenly over their business days.
    per_day: tuple[tuple[date, int], ...] = ()


def wave_code(branch_code: str, pilot: bool) -> str:
    return f"{'P' if pilot else 'W'}{branch_code}"


def generate_plan(
    envelopes_by_branch: Mapping[str, int],
    *,
    start: date,
    capacity_per_day: int = DEFAULT_CAPACITY,
    pilot_branch: str | None = PILOT_BRANCH,
    pilot_date: date = PILOT_DATE,
    order: Sequence[str] | None = None,
    cutoff: date = DEFAULT_CUTOFF,
) -> list[WavePlan]:
    """Fill business days with each branch's envelopes, pilot first, in ``order``."""
    if capacity_per_day <= 0:
        raise PlanError("capacity must be positive / 1日の処理能力は正の数にしてください")
    plan: list[WavePlan] = []
    day = start if is_business_day(start) else next_business_day(start)
    if pilot_branch and envelopes_by_branch.get(pilot_branch, 0) > 0:
        pilot_day = pilot_date if is_business_day(pilot_date) else next_business_day(pilot_date)
        n = envelopes_by_branch[pilot_branch]
        days_needed = -(-n // capacity_per_day)
        last = pilot_day
        for _ in range(days_needed - 1):
            last = next_business_day(last)
        plan.append(
            WavePlan(wave_code(pilot_branch, True), pilot_branch, pilot_day, last, n, pilot=True)
        )
        day = next_business_day(last)
    order = list(order) if order else [p.code for p in PREFECTURES]
    unknown = [c for c in envelopes_by_branch if c not in order and c != pilot_branch]
    order += sorted(unknown)
    left_today = capacity_per_day
    for code in order:
        n = envelopes_by_branch.get(code, 0)
        if code == pilot_branch or n <= 0:
            continue
        first = day
        remaining = n
        alloc = []
        while True:
            take = min(remaining, left_today)
            alloc.append((day, take))
            remaining -= take
            left_today -= take
            if remaining == 0:
                break
            day, left_today = next_business_day(day), capacity_per_day
        plan.append(WavePlan(wave_code(code, False), code, first, day, n, per_day=tuple(alloc)))
        if left_today == 0:
            day, left_today = next_business_day(day), capacity_per_day
    late = [w for w in plan if w.post_to > cutoff]
    if late:
        total = sum(envelopes_by_branch.values())
        days = len(business_days(start, cutoff))
        need = -(-total // max(days, 1))
        raise PlanError(
            f"the plan ends {late[-1].post_to}, after the cut-off {cutoff}; about {need:,} "
            f"envelopes/day are needed / 締切 {cutoff} までに終わりません"
            f"（1日あたり約 {need:,} 通が必要）"
        )
    return plan


def load_schedule(path: Path, envelopes_by_branch: Mapping[str, int]) -> list[WavePlan]:
    """Read a schedule file: ``[[wave]]`` tables (TOML) or a ``waves:`` list (YAML) with
    ``branch`` (code or name), ``from``, ``to`` and optional ``pilot``."""
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    rows = (data or {}).get("wave") or (data or {}).get("waves") or []
    plan: list[WavePlan] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        where = f"{path}: wave {i}"
        try:
            ref = str(row["branch"])
            pref = by_code(ref) if ref.isdigit() else by_name(ref)
            first = _as_date(row["from"])
            last = _as_date(row.get("to", row["from"]))
        except KeyError as err:
            raise PlanError(f"{where}: missing field / 項目がありません: {err}") from err
        except ValueError as err:
            raise PlanError(f"{where}: {err}") from err
        if last < first:
            raise PlanError(f"{where}: 'to' before 'from' / 終了日が開始日より前です")
        if pref.code in seen:
            raise PlanError(f"{where}: branch {pref.code} twice / 支部が重複しています")
        seen.add(pref.code)
        pilot = bool(row.get("pilot", False))
        plan.append(
            WavePlan(
                wave_code(pref.code, pilot),
                pref.code,
                first,
                last,
                envelopes_by_branch.get(pref.code, 0),
                pilot,
            )
        )
    missing = sorted(c for c, n in envelopes_by_branch.items() if n > 0 and c not in seen)
    if missing:
        raise PlanError(f"{path}: no window for branches / 期間のない支部: {', '.join(missing)}")
    return sorted(plan, key=lambda w: (w.post_from, w.branch_code))


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def daily_letters(plan: Sequence[WavePlan]) -> dict[date, dict[str, int]]:
    """Envelopes posted per business day and branch (a wave's envelopes spread evenly)."""
    out: dict[date, dict[str, int]] = {}
    for w in plan:
        if w.per_day:
            for d, n in w.per_day:
                out.setdefault(d, {})[w.branch_code] = out.get(d, {}).get(w.branch_code, 0) + n
            continue
        days = [d for d in business_days(w.post_from, w.post_to)] or [w.post_from]
        base, extra = divmod(w.envelopes, len(days))
        for i, d in enumerate(days):
            n = base + (1 if i < extra else 0)
            if n:
                out.setdefault(d, {})[w.branch_code] = out.get(d, {}).get(w.branch_code, 0) + n
    return dict(sorted(out.items()))


def plan_chart(plan: Sequence[WavePlan], out: Path, *, cutoff: date = DEFAULT_CUTOFF) -> Path:
    """Bar chart of envelopes per day (pilot highlighted) with the cumulative share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_day = daily_letters(plan)
    pilot_codes = {w.branch_code for w in plan if w.pilot}
    days = [np.datetime64(d, "D") for d in per_day]
    pilot = [sum(v for k, v in by.items() if k in pilot_codes) for by in per_day.values()]
    other = [sum(v for k, v in by.items() if k not in pilot_codes) for by in per_day.values()]
    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    ax.bar(days, other, color="#4a78b5", label="branches")
    ax.bar(days, pilot, bottom=other, color="#e0a030", label="pilot")
    cut = np.datetime64(cutoff, "D")
    ax.axvline(cut, color="#b03030", linestyle="--", label=f"cut-off {cutoff}")  # type: ignore[arg-type]
    ax.set_ylabel("envelopes / day")
    ax.set_title("Certificate mailing plan: envelopes posted per business day")
    total = sum(pilot) + sum(other)
    if total:
        ax2 = ax.twinx()
        running, cum = 0, []
        for p, o in zip(pilot, other, strict=True):
            running += p + o
            cum.append(100 * running / total)
        ax2.plot(days, cum, color="#333333", linewidth=1.2, label="cumulative %")
        ax2.set_ylim(0, 105)
        ax2.set_ylabel("cumulative %")
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
