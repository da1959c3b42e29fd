"""Small calendar arithmetic shared by the rules: month ends, adding months and years,
and parsing dates as people write them (ISO, compact, slashes, full-width, 和暦).

Adding months or years clamps to the end of the month, as 民法 art. 143 does for periods
counted in months and years: 2024-02-29 plus one year is 2025-02-28.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from dataclasses import dataclass
from datetime import date, datetime

from shikaku.domain.errors import InvalidDate
from shikaku.domain.normalize import normalize_text

__all__ = [
    "ERAS",
    "Era",
    "add_months",
    "add_years",
    "first_of_month",
    "format_date_en",
    "format_date_ja",
    "month_end",
    "parse_date",
]


def month_end(year: int, month: int) -> date:
    """Last day of the given month."""
    return date(year, month, _stdcal.monthrange(year, month)[1])


def first_of_month(d: date) -> date:
    """First day of the month of *d*."""
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """*d* moved by *months* calendar months, clamped to the month's last day."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    last = _stdcal.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def add_years(d: date, years: int) -> date:
    """*d* moved by *years*; 29 February becomes 28 February in a common year."""
    return add_months(d, 12 * years)


@dataclass(frozen=True, slots=True)
class Era:
    """A Japanese era (元号): its names and the first day it was in use."""

    name_ja: str
    letter: str
    first_day: date


#: Eras from Meiji on, newest first. First days are those used by the government
#: (Meiji is counted from 1868-01-01 for dates written as 明治1年, a common practice).
ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("大正", "T", date(1912, 7, 30)),
    Era("明治", "M", date(1868, 1, 1)),
)

_ISO_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_KANJI_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_ERA_RE = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|明治|[RHSTMrhstm])\s?"
    r"(?P<year>元|\d{1,2})(?:年|[-/.])\s?(?P<month>\d{1,2})(?:月|[-/.])\s?(?P<day>\d{1,2})日?$"
)


def _make(year: int, month: int, day: int, rule_prefix: str, field: str | None, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidDate(f"{rule_prefix}.impossible", field=field, value=raw) from None


def _era_date(m: re.Match[str], rule_prefix: str, field: str | None, raw: str) -> date:
    token = m["era"]
    era = next(e for e in ERAS if token in (e.name_ja, e.letter, e.letter.lower()))
    era_year = 1 if m["year"] == "元" else int(m["year"])
    if era_year < 1:
        raise InvalidDate(f"{rule_prefix}.impossible", field=field, value=raw)
    d = _make(
        era.first_day.year + era_year - 1, int(m["month"]), int(m["day"]), rule_prefix, field, raw
    )
    # 昭和64年1月8日 does not exist (平成 started that day); nor does 平成31年5月1日.
    index = ERAS.index(era)
    next_first = ERAS[index - 1].first_day if index > 0 else None
    if d < era.first_day or (next_first is not None and d >= next_first):
        raise InvalidDate(f"{rule_prefix}.impossible", field=field, value=raw)
    return d


def parse_date(value: str | date, *, field: str | None = None, rule_prefix: str = "date") -> date:
    """Parse a date written as ``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYY/MM/DD``, ``YYYY.MM.DD``,
    ``YYYY年M月D日`` or in 和暦 (``昭和55年4月1日``, ``S55.4.1``, ``令和元年5月1日``), in
    half- or full-width characters. A :class:`~datetime.date` is returned unchanged.

    Raises :class:`~shikaku.domain.errors.InvalidDate` with rule id
    ``f"{rule_prefix}.format"`` or ``f"{rule_prefix}.impossible"`` (for 2023-02-29).
    """
    if isinstance(value, datetime):  # a datetime is a date, but must not leak its time
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidDate(f"{rule_prefix}.format", field=field, value=None)
    text = normalize_text(value)
    for pattern in (_ISO_RE, _COMPACT_RE, _KANJI_RE):
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            return _make(y, mo, d, rule_prefix, field, value)
    m = _ERA_RE.match(text)
    if m:
        return _era_date(m, rule_prefix, field, value)
    raise InvalidDate(f"{rule_prefix}.format", field=field, value=value)


_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date_ja(d: date) -> str:
    """``2026年3月31日`` (西暦, as on 協会けんぽ notices)."""
    return f"{d.year}年{d.month}月{d.day}日"


def format_date_en(d: date) -> str:
    """``31 March 2026``."""
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
