"""Settings: where the database is, where the key lives, and every policy value.

Policy values (transition dates, validity years, languages, schedules) default to the figures in
shared/domain.md Part A and can be overridden by a TOML file (``--config`` or ``SHIKAKU_CONFIG``)
or by environment variables for the deployment-specific ones.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

DEFAULT_SQLITE_FILE = "shikaku.sqlite3"

DEFAULT_LANGUAGES: tuple[str, ...] = (
    "ja", "en", "zh-Hans", "zh-Hant", "ko", "es", "pt", "tl", "vi", "id", "ne", "th",
    "my", "km", "mn", "fr", "si", "ur", "bn", "uk", "ru", "hi", "uz",
)  # fmt: skip


@dataclass(frozen=True)
class Policy:
    """Policy values with the defaults of shared/domain.md Part A."""

    legacy_card_last_day: date = date(2025, 12, 1)
    provisional_last_day: date = date(2026, 3, 31)
    myna_grace_months: int = 3
    certificate_years_after_window: int = 4
    certificate_window_anchor: str = "12-02"
    #: Eligibility answers 6 (valid, not yet registered nationally) while a membership started
    #: fewer than this many business days ago (docs/decisions/0005).
    eligibility_registration_lag_business_days: int = 2
    #: 現役並み所得者 (30 % at 70–74): the insured person's 標準報酬月額 at or above this (yen).
    high_income_remuneration: int = 280_000
    insurer_name_ja: str = "全国健康保険協会"
    insurer_name_en: str = "Japan Health Insurance Association"
    languages: tuple[str, ...] = DEFAULT_LANGUAGES


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs to build the application."""

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_FILE}"
    key_file: Path | None = None
    key_hex: str | None = field(default=None, repr=False)
    redis_url: str | None = None
    policy: Policy = field(default_factory=Policy)

    def with_database(self, url: str | None) -> Settings:
        return self if not url else replace(self, database_url=url)


def _coerce(value: Any, current: Any) -> Any:
    if isinstance(current, date) and isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    return value


def load_settings(config_file: Path | None = None, *, database_url: str | None = None) -> Settings:
    """Build settings from defaults, an optional TOML file, then the environment.

    Precedence (highest first): explicit ``database_url`` argument, environment
    (``SHIKAKU_DATABASE_URL``, ``SHIKAKU_KEY_FILE``, ``SHIKAKU_KEY``, ``SHIKAKU_REDIS_URL``),
    the TOML file, the defaults.
    """
    settings = Settings()
    path = config_file or (
        Path(os.environ["SHIKAKU_CONFIG"]) if "SHIKAKU_CONFIG" in os.environ else None
    )
    if path is not None:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        policy_data = data.pop("policy", {})
        known = {f.name for f in fields(Policy)}
        unknown = set(policy_data) - known
        if unknown:
            raise ValueError(f"{path}: unknown [policy] keys / 不明な設定項目: {sorted(unknown)}")
        policy = replace(
            settings.policy,
            **{k: _coerce(v, getattr(settings.policy, k)) for k, v in policy_data.items()},
        )
        top = {k: v for k, v in data.items() if k in {"database_url", "redis_url"}}
        if "key_file" in data:
            top["key_file"] = Path(data["key_file"])
        settings = replace(settings, policy=policy, **top)
    env = os.environ
    if env.get("SHIKAKU_DATABASE_URL"):
        settings = replace(settings, database_url=env["SHIKAKU_DATABASE_URL"])
    if env.get("SHIKAKU_KEY_FILE"):
        settings = replace(settings, key_file=Path(env["SHIKAKU_KEY_FILE"]))
    if env.get("SHIKAKU_KEY"):
        settings = replace(settings, key_hex=env["SHIKAKU_KEY"])
    if env.get("SHIKAKU_REDIS_URL"):
        settings = replace(settings, redis_url=env["SHIKAKU_REDIS_URL"])
    return settings.with_database(database_url)
