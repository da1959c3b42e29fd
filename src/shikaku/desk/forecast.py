"""Contact forecast: calls per day, hour and language caused by a mailing plan.

Model (all parameters in :class:`~shikaku.desk.settings.ForecastConfig`)::

    landed[d]   = Σ letters posted on p × delivery_lag_shares[k]   for d = p + k business days
    mail[d]     = Σ landed[L] × contact_rate × delay_curve[j]      for d = j-th desk day from L
    calls[d]    = mail[d] + baseline_calls_per_day                  (desk open days only)
    calls[d,h,l]= calls[d] × hourly_profile[h] × language_share[l]

Letters land on business days (Mon–Fri, no public holidays). Calls come on desk open days; a
delay curve that sums to 1 puts every caused call inside the horizon, so the total is exactly
letters × contact_rate + baseline × open days. :func:`fit` rescales the contact rate (and
optionally the baseline) to logged daily inquiries by least squares and reports MAPE.
"""

from __future__ import annotations

import csv
import logging
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jpholiday
import numpy as np

from shikaku.desk.settings import ForecastConfig

__all__ = [
    "FitResult",
    "Forecast",
    "MailingPlan",
    "PlanError",
    "PlanRow",
    "build_forecast",
    "fit",
    "load_language_shares",
    "load_observed",
    "load_plan",
]

log = logging.getLogger(__name__)

PLAN_COLUMNS = ("date", "branch_code", "letters")


class PlanError(ValueError):
    """A plan, share or observation file is missing, malformed or incomplete."""


@dataclass(frozen=True, slots=True)
class PlanRow:
    """Letters posted on one day for one branch."""

    posting_date: date
    branch_code: str
    letters: int


@dataclass(frozen=True)
class MailingPlan:
    """Rows of the mailing plan and the language shares of the people written to."""

    rows: tuple[PlanRow, ...]
    language_shares: Mapping[str, float] = field(default_factory=lambda: {"ja": 1.0})
    source: str = "<memory>"
    notes: tuple[str, ...] = ()

    @property
    def letters(self) -> int:
        return sum(r.letters for r in self.rows)


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as err:
        raise PlanError(f"{where}: date {value!r} is not YYYY-MM-DD") from err


def _parse_letters(value: Any, where: str) -> int:
    try:
        n = int(str(value).strip().replace(",", "").replace("_", ""))
    except ValueError as err:
        raise PlanError(f"{where}: letters {value!r} is not a whole number") from err
    if n < 0:
        raise PlanError(f"{where}: letters must not be negative ({n})")
    return n


def _normalize_shares(
    raw: Mapping[str, Any], languages: Sequence[str] | None, where: str
) -> dict[str, float]:
    shares: dict[str, float] = {}
    allowed = {x.lower(): x for x in languages} if languages else None
    for lang, value in raw.items():
        key = str(lang).strip()
        if allowed is not None:
            if key.lower() not in allowed:
                raise PlanError(
                    f"{where}: language {key!r} is not configured "
                    f"(configured: {', '.join(allowed.values())})"
                )
            key = allowed[key.lower()]
        try:
            share = float(value)
        except (TypeError, ValueError) as err:
            raise PlanError(f"{where}: share of {key!r} is not a number ({value!r})") from err
        if share < 0 or not np.isfinite(share):
            raise PlanError(f"{where}: share of {key!r} must be ≥ 0 ({share})")
        shares[key] = shares.get(key, 0.0) + share
    total = sum(shares.values())
    if total <= 0:
        raise PlanError(f"{where}: language shares add up to 0")
    return {k: v / total for k, v in shares.items() if v > 0}


def load_language_shares(path: Path, languages: Sequence[str] | None = None) -> dict[str, float]:
    """Shares from CSV (``lang,share``) or TOML (``[language_shares]`` or a flat table)."""
    if not path.exists():
        raise PlanError(f"{path}: language-share file not found")
    if path.suffix.lower() == ".toml":
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        table = data.get("language_shares", data)
        if not isinstance(table, dict):
            raise PlanError(f"{path}: expected a table of lang = share")
        return _normalize_shares(table, languages, str(path))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        if "lang" not in fields or "share" not in fields:
            raise PlanError(
                f"{path}: needs the columns lang,share (found "
                f"{', '.join(reader.fieldnames or []) or 'none'})"
            )
        raw: dict[str, float] = {}
        for line, row in enumerate(reader, start=2):
            lang = (row.get(fields["lang"]) or "").strip()
            if not lang:
                raise PlanError(f"{path}:{line}: field 'lang' is empty")
            try:
                raw[lang] = raw.get(lang, 0.0) + float(row.get(fields["share"]) or "")
            except ValueError as err:
                raise PlanError(f"{path}:{line}: field 'share' is not a number") from err
    return _normalize_shares(raw, languages, str(path))


def _rows_from_csv(path: Path) -> list[PlanRow]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        missing = [c for c in PLAN_COLUMNS if c not in fields]
        if missing:
            raise PlanError(
                f"{path}: missing column(s) {', '.join(missing)}; a mailing plan "
                f"needs {', '.join(PLAN_COLUMNS)} (found "
                f"{', '.join(reader.fieldnames or []) or 'no header'})"
            )
        rows = []
        for line, raw in enumerate(reader, start=2):
            where = f"{path}:{line}"
            branch = (raw.get(fields["branch_code"]) or "").strip()
            if not branch:
                raise PlanError(f"{where}: field 'branch_code' is empty")
            rows.append(
                PlanRow(
                    _parse_date(raw.get(fields["date"]), where),
                    branch,
                    _parse_letters(raw.get(fields["letters"]), where),
                )
            )
    return rows


def load_plan(
    path: Path, *, shares_path: Path | None = None, languages: Sequence[str] | None = None
) -> MailingPlan:
    """Read a mailing plan from CSV (date,branch_code,letters) or TOML (``[[mailing]]`` rows
    and an optional ``[language_shares]`` table). Explains what is missing when it cannot."""
    if not path.exists():
        raise PlanError(
            f"{path}: mailing plan not found; give a CSV with the columns "
            f"{', '.join(PLAN_COLUMNS)} or a TOML file with [[mailing]] rows"
        )
    shares: dict[str, float] | None = None
    notes: list[str] = []
    if path.suffix.lower() == ".toml":
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        raw_rows = data.get("mailing")
        if not isinstance(raw_rows, list):
            raise PlanError(
                f"{path}: no [[mailing]] rows; each row needs {', '.join(PLAN_COLUMNS)}"
            )
        rows = []
        for i, r in enumerate(raw_rows, start=1):
            where = f"{path}: [[mailing]] #{i}"
            missing = [c for c in PLAN_COLUMNS if c not in r]
            if missing:
                raise PlanError(f"{where}: missing {', '.join(missing)}")
            rows.append(
                PlanRow(
                    _parse_date(r["date"], where),
                    str(r["branch_code"]),
                    _parse_letters(r["letters"], where),
                )
            )
        if isinstance(data.get("language_shares"), dict):
            shares = _normalize_shares(
                data["language_shares"], languages, f"{path}: [language_shares]"
            )
    else:
        rows = _rows_from_csv(path)
    if not rows:
        raise PlanError(
            f"{path}: the plan has no rows; add one row per posting day and "
            f"branch with {', '.join(PLAN_COLUMNS)}"
        )
    if shares_path is not None:
        shares = load_language_shares(shares_path, languages)
    if shares is None:
        shares = {"ja": 1.0}
        notes.append(
            "言語別の割合が未指定のため、全件を日本語として計算しました / no language "
            "shares given: every contact is counted as Japanese (use --shares)"
        )
    return MailingPlan(
        rows=tuple(sorted(rows, key=lambda r: (r.posting_date, r.branch_code))),
        language_shares=shares,
        source=str(path),
        notes=tuple(notes),
    )


def is_business_day(d: date) -> bool:
    """Mail is delivered Monday to Friday except public holidays."""
    return d.weekday() < 5 and not jpholiday.is_holiday(d)


def add_business_days(d: date, n: int) -> date:
    """*d* moved to the next business day (if it is not one), then *n* business days on."""
    while not is_business_day(d):
        d += timedelta(days=1)
    for _ in range(n):
        d += timedelta(days=1)
        while not is_business_day(d):
            d += timedelta(days=1)
    return d


@dataclass(frozen=True)
class Forecast:
    """Expected contacts on each desk open day, split by hour and language."""

    days: tuple[date, ...]
    hours: tuple[int, ...]
    langs: tuple[str, ...]
    landed: np.ndarray  # letters landing per day (on desk days; see build_forecast)
    mail_calls: np.ndarray  # calls caused by the mailing, per day
    baseline: np.ndarray  # baseline calls per day
    config: ForecastConfig
    shares: Mapping[str, float]
    plan: MailingPlan
    notes: tuple[str, ...] = ()

    @property
    def daily(self) -> np.ndarray:
        return self.mail_calls + self.baseline

    @property
    def calls(self) -> np.ndarray:
        """Array (days, hours, languages) of expected calls."""
        prof = np.asarray(self.config.hourly_profile, dtype=float)
        share = np.array([self.shares[x] for x in self.langs], dtype=float)
        return self.daily[:, None, None] * prof[None, :, None] * share[None, None, :]

    @property
    def total(self) -> float:
        return float(self.daily.sum())

    def by_language(self) -> dict[str, float]:
        return {lang: self.total * self.shares[lang] for lang in self.langs}

    def rows(self) -> list[tuple[date, int, str, float]]:
        """Long format: (date, hour, lang, calls)."""
        c = self.calls
        return [
            (d, h, lang, float(c[i, j, k]))
            for i, d in enumerate(self.days)
            for j, h in enumerate(self.hours)
            for k, lang in enumerate(self.langs)
        ]

    def write_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["date", "hour", "lang", "calls"])
            for d, h, lang, calls in self.rows():
                w.writerow([d.isoformat(), h, lang, f"{calls:.3f}"])
        return path

    def write_daily_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["date", "letters_landed", "mail_calls", "baseline_calls", "calls"])
            for i, d in enumerate(self.days):
                w.writerow(
                    [
                        d.isoformat(),
                        f"{self.landed[i]:.0f}",
                        f"{self.mail_calls[i]:.2f}",
                        f"{self.baseline[i]:.2f}",
                        f"{self.daily[i]:.2f}",
                    ]
                )
        return path


def _check_config(cfg: ForecastConfig) -> None:
    problems = []
    if cfg.contact_rate < 0:
        problems.append("contact_rate must be ≥ 0")
    if not cfg.delay_curve or min(cfg.delay_curve) < 0 or abs(sum(cfg.delay_curve) - 1) > 1e-3:
        problems.append("delay_curve must be non-negative shares adding up to 1")
    if not cfg.delivery_lag_shares or abs(sum(cfg.delivery_lag_shares) - 1) > 1e-3:
        problems.append("delivery_lag_shares must add up to 1")
    if len(cfg.hours) != len(cfg.hourly_profile) or abs(sum(cfg.hourly_profile) - 1) > 1e-3:
        problems.append("hourly_profile needs one share per entry of hours, adding up to 1")
    if not cfg.open_weekdays:
        problems.append("open_weekdays is empty: the desk is never open")
    if problems:
        raise PlanError("forecast configuration: " + "; ".join(problems))


def build_forecast(plan: MailingPlan, config: ForecastConfig | None = None) -> Forecast:
    """Turn a mailing plan into expected contacts per desk day, hour and language."""
    cfg = config or ForecastConfig()
    _check_config(cfg)
    if not plan.rows:
        raise PlanError(f"{plan.source}: the plan has no rows")
    closed = set(cfg.closed_dates)
    open_days_set = set(cfg.open_weekdays)

    def is_open(d: date) -> bool:
        return d.weekday() in open_days_set and not jpholiday.is_holiday(d) and d not in closed

    landed_by_day: dict[date, float] = defaultdict(float)
    for r in plan.rows:
        for k, share in enumerate(cfg.delivery_lag_shares):
            if share > 0:
                landed_by_day[add_business_days(r.posting_date, k)] += r.letters * share
    start = min(r.posting_date for r in plan.rows)
    last_landing = max(landed_by_day)
    # Desk days from the first posting until the delay curve of the last landing has run out.
    days: list[date] = []
    d = start
    while True:
        if is_open(d):
            days.append(d)
        if d >= last_landing and is_open(d):
            break
        d += timedelta(days=1)
    for _ in range(len(cfg.delay_curve) - 1):
        d += timedelta(days=1)
        while not is_open(d):
            d += timedelta(days=1)
        days.append(d)
    index = {day: i for i, day in enumerate(days)}
    n = len(days)
    landed = np.zeros(n)
    mail = np.zeros(n)
    curve = np.asarray(cfg.delay_curve, dtype=float)
    for land_day, letters in sorted(landed_by_day.items()):
        first = land_day
        while first not in index:  # letters landing on a closed day call from the next open one
            first += timedelta(days=1)
        i0 = index[first]
        landed[i0] += letters
        mail[i0 : i0 + len(curve)] += letters * cfg.contact_rate * curve[: n - i0]
    baseline = np.full(n, float(cfg.baseline_calls_per_day))
    langs = tuple(sorted(plan.language_shares, key=lambda x: -plan.language_shares[x]))
    log.info("forecast built", extra={"days": n, "letters": plan.letters})
    return Forecast(
        days=tuple(days),
        hours=tuple(cfg.hours),
        langs=langs,
        landed=landed,
        mail_calls=mail,
        baseline=baseline,
        config=cfg,
        shares=dict(plan.language_shares),
        plan=plan,
        notes=plan.notes,
    )


def load_observed(path: Path) -> dict[date, float]:
    """Logged inquiries as daily totals from a CSV with ``date`` and ``calls`` columns (other
    columns such as hour or lang are summed over)."""
    if not path.exists():
        raise PlanError(f"{path}: observed-inquiry file not found")
    totals: dict[date, float] = defaultdict(float)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        if "date" not in fields or "calls" not in fields:
            raise PlanError(f"{path}: needs the columns date,calls")
        for line, row in enumerate(reader, start=2):
            where = f"{path}:{line}"
            day = _parse_date(row.get(fields["date"]), where)
            try:
                totals[day] += float(row.get(fields["calls"]) or "")
            except ValueError as err:
                raise PlanError(f"{where}: field 'calls' is not a number") from err
    return dict(totals)


@dataclass(frozen=True)
class FitResult:
    """Contact rate (and baseline) fitted to logged inquiries, with the error before/after."""

    contact_rate: float
    baseline_calls_per_day: float
    days_used: int
    mape_before: float
    mape_after: float
    forecast: Forecast


def _mape(observed: np.ndarray, predicted: np.ndarray) -> float:
    mask = observed > 0
    if not mask.any():
        return float("nan")
    return float(np.mean(np.abs(observed[mask] - predicted[mask]) / observed[mask]) * 100.0)


def fit(
    forecast: Forecast, observed: Mapping[date, float], *, fit_baseline: bool = False
) -> FitResult:
    """Least-squares contact rate (and optionally baseline) that best explains *observed*."""
    idx = [i for i, d in enumerate(forecast.days) if d in observed]
    if not idx:
        raise PlanError(
            "the observed inquiries do not overlap the forecast period "
            f"({forecast.days[0]} … {forecast.days[-1]})"
        )
    obs = np.array([observed[forecast.days[i]] for i in idx], dtype=float)
    # Calls per unit of contact rate on each observed day (the model is linear in the rate).
    probe = build_forecast(forecast.plan, replace(forecast.config, contact_rate=1.0))
    unit = probe.mail_calls[idx]
    base = forecast.baseline[idx]
    if fit_baseline:
        a = np.column_stack([unit, np.ones_like(unit)])
        (rate, b), *_ = np.linalg.lstsq(a, obs, rcond=None)
        rate, b = max(0.0, float(rate)), max(0.0, float(b))
    else:
        denom = float(unit @ unit)
        if denom == 0:
            raise PlanError(
                "no mailing-caused calls fall on the observed days; cannot fit the contact rate"
            )
        rate = max(0.0, float(unit @ (obs - base)) / denom)
        b = float(forecast.config.baseline_calls_per_day)
    new_cfg = replace(forecast.config, contact_rate=rate, baseline_calls_per_day=b)
    refit = build_forecast(forecast.plan, new_cfg)
    return FitResult(
        contact_rate=rate,
        baseline_calls_per_day=b,
        days_used=len(idx),
        mape_before=_mape(obs, forecast.daily[idx]),
        mape_after=_mape(obs, refit.daily[idx]),
        forecast=refit,
    )
