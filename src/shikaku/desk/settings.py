"""Desk settings: contact numbers, language list, forecast and staffing parameters.

Read from the ``[desk]`` tables of the same TOML file as the rest of the settings (the core
settings loader ignores tables it does not know). Every number here is configuration with a
documented default (docs/desk.md); the defaults marked "assumption" are not from a source and
should be replaced with the insurer's own figures once the inquiry log has data.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from shikaku.config import DEFAULT_LANGUAGES, Policy
from shikaku.desk.content import default_content_dir
from shikaku.domain.dates import format_date_en, format_date_ja

__all__ = [
    "DeskSettings",
    "ForecastConfig",
    "StaffingConfig",
    "format_date",
    "load_desk_settings",
    "placeholder_values",
]


def _decay_curve(days: int = 15, half_life: float = 2.0) -> tuple[float, ...]:
    raw = [0.5 ** (k / half_life) for k in range(days)]
    total = sum(raw)
    return tuple(round(w / total, 6) for w in raw)


@dataclass(frozen=True)
class ForecastConfig:
    """Parameters of the contact forecast (see docs/desk.md, "Forecast")."""

    #: Calls per letter landed (assumption: 4 %; fit it to the inquiry log).
    contact_rate: float = 0.04
    #: Share of a posting day's letters landing 0, 1, 2 … business days later.
    delivery_lag_shares: tuple[float, ...] = (0.0, 0.6, 0.4)
    #: Share of the calls a day's landed letters cause on desk day 0, 1, … after landing
    #: (assumption: halves every 2 open days, 15 days long).
    delay_curve: tuple[float, ...] = field(default_factory=_decay_curve)
    #: Hours the desk opens (interval start hours) and the share of a day's calls in each.
    hours: tuple[int, ...] = (9, 10, 11, 12, 13, 14, 15, 16)
    hourly_profile: tuple[float, ...] = (0.16, 0.15, 0.13, 0.10, 0.13, 0.12, 0.11, 0.10)
    #: Calls a day that would come without any mailing (assumption).
    baseline_calls_per_day: float = 1500.0
    #: Weekdays the desk is open (Monday = 0); Japanese public holidays are closed.
    open_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    closed_dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class StaffingConfig:
    """Parameters of the Erlang C staffing (see docs/desk.md, "Staffing")."""

    aht_seconds: float = 360.0  # assumption: 6 minutes a call
    aht_seconds_by_lang: Mapping[str, float] = field(default_factory=dict)
    service_level: float = 0.8
    answer_seconds: float = 20.0
    max_occupancy: float = 0.85
    shrinkage: float = 0.3
    interval_minutes: int = 60
    #: A language gets its own queue when its busiest interval needs at least this many
    #: raw agents; otherwise its calls go to the interpreter pool.
    dedicated_queue_min_agents: int = 3
    always_dedicated: tuple[str, ...] = ("ja",)
    #: Three-way interpreted calls take longer: AHT × this factor (assumption).
    interpreter_aht_factor: float = 1.5


@dataclass(frozen=True)
class DeskSettings:
    """Everything the desk needs besides the policy dates."""

    content_dir: Path = field(default_factory=default_content_dir)
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    call_center_phone: str = "〔番号未設定 / number not configured〕"
    # National My Number free dial (Cabinet Office / Digital Agency), domain.md §9.4.
    myna_free_dial: str = "0120-95-0178"
    myna_free_dial_foreign: str = "0120-0178-27"
    #: Translations that must have every ja entry; the others need the ``core_size`` most asked.
    complete_languages: tuple[str, ...] = ("en",)
    core_size: int = 15
    min_source_entries: int = 40
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    staffing: StaffingConfig = field(default_factory=StaffingConfig)


def _coerce(value: Any, current: Any, where: str) -> Any:
    if isinstance(current, tuple):
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list")
        if (current and isinstance(current[0], date)) or where.endswith("closed_dates"):
            return tuple(v if isinstance(v, date) else date.fromisoformat(str(v)) for v in value)
        return tuple(value)
    if isinstance(current, Path):
        return Path(value)
    if isinstance(current, float) and isinstance(value, int):
        return float(value)
    return value


def _apply(obj: Any, data: Mapping[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(obj)}
    unknown = set(data) - set(known)
    if unknown:
        raise ValueError(f"{where}: unknown keys / 不明な設定項目: {sorted(unknown)}")
    changes = {k: _coerce(v, getattr(obj, k), f"{where}.{k}") for k, v in data.items()}
    return replace(obj, **changes)


def load_desk_settings(
    config_file: Path | None = None, policy: Policy | None = None
) -> DeskSettings:
    """Defaults, then ``[desk]``, ``[desk.forecast]``, ``[desk.staffing]`` of *config_file*.

    The language list comes from the policy (``[policy] languages``) unless ``[desk]`` sets
    its own.
    """
    settings = DeskSettings()
    if policy is not None:
        settings = replace(settings, languages=tuple(policy.languages))
    if config_file is None:
        return settings
    data = tomllib.loads(config_file.read_text(encoding="utf-8")).get("desk", {})
    data = dict(data)
    fc = data.pop("forecast", None)
    st = data.pop("staffing", None)
    settings = _apply(settings, data, f"{config_file}: [desk]")
    if fc is not None:
        settings = replace(
            settings, forecast=_apply(settings.forecast, fc, f"{config_file}: [desk.forecast]")
        )
    if st is not None:
        settings = replace(
            settings, staffing=_apply(settings.staffing, st, f"{config_file}: [desk.staffing]")
        )
    return settings


def format_date(d: date, lang: str) -> str:
    """A date as written in *lang*: 2025年12月1日, 2025년 12월 1일, 1 December 2025, or ISO.

    Languages without a rule here get ISO 8601, which is unambiguous everywhere (a bare
    1/12 reads as January in some countries and December in others).
    """
    if lang in ("ja", "zh-Hans", "zh-Hant"):
        return format_date_ja(d)
    if lang == "ko":
        return f"{d.year}년 {d.month}월 {d.day}일"
    if lang == "en":
        return format_date_en(d)
    return d.isoformat()


def placeholder_values(
    lang: str, policy: Policy | None = None, desk: DeskSettings | None = None
) -> dict[str, str]:
    """What fills each placeholder of :data:`shikaku.desk.content.PLACEHOLDERS` in *lang*."""
    pol = policy or Policy()
    dsk = desk or DeskSettings()
    return {
        "legacy_last_day": format_date(pol.legacy_card_last_day, lang),
        "legacy_unusable_from": format_date(pol.legacy_card_last_day + timedelta(days=1), lang),
        "provisional_last_day": format_date(pol.provisional_last_day, lang),
        "grace_months": str(pol.myna_grace_months),
        "call_center_phone": dsk.call_center_phone,
        "myna_free_dial": dsk.myna_free_dial,
        "myna_free_dial_foreign": dsk.myna_free_dial_foreign,
        "foreign_language_count": str(max(0, len([x for x in dsk.languages if x != "ja"]))),
    }
