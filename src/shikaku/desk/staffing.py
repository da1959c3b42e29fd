"""Agents needed per interval and queue, by Erlang C.

For one interval: traffic A = calls × AHT / interval length (Erlangs). With N agents,
P(wait) = C(N, A) (Erlang C, computed from the Erlang B recursion, which stays stable for
hundreds of agents), service level = 1 − P(wait)·exp(−(N − A)·T / AHT) for answer target T,
occupancy = A / N. Raw agents = the smallest N > A meeting both the service-level target and
the maximum occupancy; scheduled agents = ceil(raw / (1 − shrinkage)).

Checked against pyworkforce's published example (100 calls in 30 min, AHT 3 min, 80 % in
20 s, max occupancy 0.85, shrinkage 0.3 → 14 raw, 20 scheduled); see the unit tests.

Languages too small for a queue of their own (their busiest interval needs fewer than
``dedicated_queue_min_agents`` raw agents) are merged into one three-way interpreter queue whose
handling time is longer by ``interpreter_aht_factor``.
"""

from __future__ import annotations

import csv
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shikaku.desk.settings import StaffingConfig

__all__ = [
    "INTERPRETER_QUEUE",
    "ErlangResult",
    "LoadRow",
    "Roster",
    "RosterRow",
    "erlang_c",
    "load_forecast_csv",
    "plan_staffing",
    "required_agents",
]

log = logging.getLogger(__name__)

INTERPRETER_QUEUE = "interpreter"
_MAX_EXTRA_AGENTS = 100_000


@dataclass(frozen=True, slots=True)
class ErlangResult:
    """Staffing for one interval of one queue."""

    raw_agents: int
    agents: int
    service_level: float
    occupancy: float
    wait_probability: float
    traffic_erlangs: float
    asa_seconds: float

    def as_dict(self) -> dict[str, float | int]:
        """The five figures the CLI prints."""
        return {
            "raw_agents": self.raw_agents,
            "agents": self.agents,
            "service_level": self.service_level,
            "occupancy": self.occupancy,
            "wait_probability": self.wait_probability,
        }


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a call waits (Erlang C) with *agents* serving *traffic* Erlangs."""
    if agents <= traffic:
        return 1.0
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return agents * b / (agents - traffic * (1.0 - b))


def _validate(
    calls: float,
    interval_minutes: float,
    aht_seconds: float,
    service_level: float,
    answer_seconds: float,
    max_occupancy: float,
    shrinkage: float,
) -> None:
    problems = []
    if not math.isfinite(calls) or calls < 0:
        problems.append(f"calls must be ≥ 0 (got {calls})")
    if interval_minutes <= 0:
        problems.append(f"interval_minutes must be > 0 (got {interval_minutes})")
    if aht_seconds <= 0:
        problems.append(f"aht_seconds must be > 0 (got {aht_seconds})")
    if not 0 < service_level < 1:
        problems.append(f"service_level must be between 0 and 1, exclusive (got {service_level})")
    if answer_seconds < 0:
        problems.append(f"answer_seconds must be ≥ 0 (got {answer_seconds})")
    if not 0 < max_occupancy <= 1:
        problems.append(f"max_occupancy must be in (0, 1] (got {max_occupancy})")
    if not 0 <= shrinkage < 1:
        problems.append(f"shrinkage must be in [0, 1) (got {shrinkage})")
    if problems:
        raise ValueError("; ".join(problems))


def required_agents(
    calls: float,
    *,
    interval_minutes: float = 30,
    aht_seconds: float = 180,
    service_level: float = 0.8,
    answer_seconds: float = 20,
    max_occupancy: float = 0.85,
    shrinkage: float = 0.3,
) -> ErlangResult:
    """Smallest staffing meeting the service level and occupancy cap for one interval."""
    _validate(
        calls,
        interval_minutes,
        aht_seconds,
        service_level,
        answer_seconds,
        max_occupancy,
        shrinkage,
    )
    traffic = calls * aht_seconds / (interval_minutes * 60.0)
    if traffic == 0:
        return ErlangResult(0, 0, 1.0, 0.0, 0.0, 0.0, 0.0)
    # Erlang B recursion carried along as N grows: O(N) for the whole search.
    b = 1.0
    n = 0
    limit = math.floor(traffic) + _MAX_EXTRA_AGENTS
    while n < limit:
        n += 1
        b = traffic * b / (n + traffic * b)
        if n <= traffic:
            continue
        p_wait = n * b / (n - traffic * (1.0 - b))
        sl = 1.0 - p_wait * math.exp(-(n - traffic) * answer_seconds / aht_seconds)
        occ = traffic / n
        if sl >= service_level and occ <= max_occupancy:
            asa = p_wait * aht_seconds / (n - traffic)
            return ErlangResult(
                raw_agents=n,
                agents=math.ceil(n / (1.0 - shrinkage)),
                service_level=sl,
                occupancy=occ,
                wait_probability=p_wait,
                traffic_erlangs=traffic,
                asa_seconds=asa,
            )
    raise ValueError(f"no staffing up to {limit} agents meets the targets")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class LoadRow:
    """Expected calls for one language in one interval."""

    day: date
    hour: int
    lang: str
    calls: float


def load_forecast_csv(path: Path) -> list[LoadRow]:
    """Read the long forecast CSV written by ``shikaku desk forecast`` (date,hour,lang,calls)."""
    if not path.exists():
        raise ValueError(
            f"{path}: forecast file not found (make one with "
            "`shikaku desk forecast --plan PLAN --out DIR`)"
        )
    rows: list[LoadRow] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        missing = [c for c in ("date", "hour", "lang", "calls") if c not in fields]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)}; expected date,hour,lang,calls"
            )
        for line, r in enumerate(reader, start=2):
            try:
                rows.append(
                    LoadRow(
                        date.fromisoformat(r[fields["date"]].strip()),
                        int(r[fields["hour"]]),
                        r[fields["lang"]].strip(),
                        float(r[fields["calls"]]),
                    )
                )
            except (ValueError, AttributeError) as err:
                raise ValueError(f"{path}:{line}: {err}") from err
    if not rows:
        raise ValueError(f"{path}: the forecast has no rows")
    return rows


@dataclass(frozen=True, slots=True)
class RosterRow:
    """Staffing of one queue in one interval."""

    day: date
    hour: int
    queue: str
    languages: tuple[str, ...]
    calls: float
    aht_seconds: float
    result: ErlangResult


@dataclass(frozen=True)
class Roster:
    """Agents per interval and queue, and which languages went to the interpreter pool."""

    rows: tuple[RosterRow, ...]
    dedicated: tuple[str, ...]
    pooled: tuple[str, ...]
    config: StaffingConfig

    @property
    def queues(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            seen.setdefault(r.queue, None)
        return list(seen)

    def peak(self, queue: str) -> RosterRow | None:
        rows = [r for r in self.rows if r.queue == queue]
        return max(rows, key=lambda r: r.result.agents) if rows else None

    def agent_hours(self, queue: str | None = None) -> float:
        hours = self.config.interval_minutes / 60.0
        return sum(r.result.agents * hours for r in self.rows if queue in (None, r.queue))

    def write_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(
                [
                    "date",
                    "hour",
                    "queue",
                    "languages",
                    "calls",
                    "aht_seconds",
                    "traffic_erlangs",
                    "raw_agents",
                    "agents",
                    "service_level",
                    "occupancy",
                    "wait_probability",
                    "asa_seconds",
                ]
            )
            for r in self.rows:
                e = r.result
                w.writerow(
                    [
                        r.day.isoformat(),
                        r.hour,
                        r.queue,
                        " ".join(r.languages),
                        f"{r.calls:.3f}",
                        f"{r.aht_seconds:.1f}",
                        f"{e.traffic_erlangs:.3f}",
                        e.raw_agents,
                        e.agents,
                        f"{e.service_level:.4f}",
                        f"{e.occupancy:.4f}",
                        f"{e.wait_probability:.4f}",
                        f"{e.asa_seconds:.1f}",
                    ]
                )
        return path


def _solve(calls: float, aht: float, cfg: StaffingConfig) -> ErlangResult:
    return required_agents(
        calls,
        interval_minutes=cfg.interval_minutes,
        aht_seconds=aht,
        service_level=cfg.service_level,
        answer_seconds=cfg.answer_seconds,
        max_occupancy=cfg.max_occupancy,
        shrinkage=cfg.shrinkage,
    )


def plan_staffing(load: Iterable[LoadRow], config: StaffingConfig | None = None) -> Roster:
    """Roster for every interval: one queue per large language plus an interpreter pool."""
    cfg = config or StaffingConfig()
    by_key: dict[tuple[date, int, str], float] = defaultdict(float)
    for row in load:
        by_key[(row.day, row.hour, row.lang)] += row.calls
    if not by_key:
        raise ValueError("no calls to staff: the forecast is empty")

    def aht(lang: str) -> float:
        return float(cfg.aht_seconds_by_lang.get(lang, cfg.aht_seconds))

    peak_calls: dict[str, float] = defaultdict(float)
    for (_, _, lang), calls in by_key.items():
        peak_calls[lang] = max(peak_calls[lang], calls)
    dedicated: list[str] = []
    pooled: list[str] = []
    for lang in sorted(peak_calls, key=lambda x: -peak_calls[x]):
        big = _solve(peak_calls[lang], aht(lang), cfg).raw_agents >= cfg.dedicated_queue_min_agents
        (dedicated if lang in cfg.always_dedicated or big else pooled).append(lang)
    intervals = sorted({(d, h) for d, h, _ in by_key})
    rows: list[RosterRow] = []
    for d, h in intervals:
        for lang in dedicated:
            calls = by_key.get((d, h, lang), 0.0)
            rows.append(
                RosterRow(d, h, lang, (lang,), calls, aht(lang), _solve(calls, aht(lang), cfg))
            )
        if pooled:
            calls = sum(by_key.get((d, h, x), 0.0) for x in pooled)
            work = sum(by_key.get((d, h, x), 0.0) * aht(x) for x in pooled)
            pool_aht = (work / calls if calls else cfg.aht_seconds) * cfg.interpreter_aht_factor
            rows.append(
                RosterRow(
                    d,
                    h,
                    INTERPRETER_QUEUE,
                    tuple(pooled),
                    calls,
                    pool_aht,
                    _solve(calls, pool_aht, cfg),
                )
            )
    log.info(
        "staffing planned",
        extra={"intervals": len(intervals), "queues": len(dedicated) + (1 if pooled else 0)},
    )
    return Roster(rows=tuple(rows), dedicated=tuple(dedicated), pooled=tuple(pooled), config=cfg)


def load_rows_from_forecast(rows: Sequence[tuple[date, int, str, float]]) -> list[LoadRow]:
    """Adapt :meth:`shikaku.desk.forecast.Forecast.rows` to :class:`LoadRow`."""
    return [LoadRow(d, h, lang, c) for d, h, lang, c in rows]
