"""Vectorised date helpers for ``datetime64[D]`` arrays (the scalar rules live in
:mod:`shikaku.domain.age` and :mod:`shikaku.domain.dates`; the tests compare the two)."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from shikaku.domain.age import latest_birth_reached

IntArray = npt.NDArray[np.int64]
DateArray = npt.NDArray[np.datetime64]

NAT = np.datetime64("NaT", "D")


def day(value: date) -> np.datetime64:
    """A date as ``datetime64[D]``."""
    return np.datetime64(value, "D")


def ymd(dates: DateArray) -> tuple[IntArray, IntArray, IntArray]:
    """Year, month and day of each date."""
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = dates.astype("datetime64[M]")
    months = month_start.astype(np.int64) % 12 + 1
    days = (dates - month_start).astype(np.int64) + 1
    return years, months, days


def on_day(year: IntArray, month: IntArray, day_: IntArray) -> DateArray:
    """Dates from components; day 29 of a 28-day February rolls into 1 March."""
    month_start = ((year - 1970) * 12 + (month - 1)).astype("datetime64[M]").astype("datetime64[D]")
    return month_start + (day_ - 1).astype("timedelta64[D]")


def add_years_array(dates: DateArray, years: IntArray | int) -> DateArray:
    """Same month and day ``years`` later; 29 February becomes 1 March in a common year (the
    birthday rule of 民法 art. 143 as in :func:`shikaku.domain.age.birthday`)."""
    y, m, d = ymd(dates)
    return on_day(y + years, m, d)


def births_for_ages(
    rng: np.random.Generator,
    ages: IntArray,
    as_of: date,
    latest: DateArray | None = None,
    max_age: int = 74,
) -> DateArray:
    """Birth dates spread uniformly over the days that give each legal age on ``as_of``
    (:func:`shikaku.domain.age.latest_birth_reached`), never after ``latest``."""
    reached = np.array(
        [day(as_of)] + [day(latest_birth_reached(as_of, n)) for n in range(1, max_age + 2)],
        dtype="datetime64[D]",
    )
    hi = reached[ages]  # latest birth with this age reached (age 0: born by as_of)
    lo = reached[ages + 1]  # exclusive: born on or before this, one year older
    if latest is not None:
        hi = np.minimum(hi, latest)
    span = np.maximum((hi - lo).astype(np.int64), 1)
    return hi - (rng.random(len(ages)) * span).astype(np.int64).astype("timedelta64[D]")
