"""Ages under the legal age rule (年齢計算ニ関スル法律, 1902) and 民法 art. 143.

Age is counted from the day of birth, and a person **reaches age n at the end of the day
before the n-th birthday**. Statutes say 「n歳に達する日」 for that day; this module calls it
:func:`date_reaching_age`. Consequences that the rules depend on:

* **People born on 1 April** reach 6 on 31 March, so they belong to the school year that
  starts the next day, one year ahead of people born on 2 April (早生まれ runs 2 April –
  1 April). The preschool copayment therefore ends for them on that very 31 March.
* **People born on the 1st of a month** reach an age on the last day of the previous
  month. Any rule that starts "from the 1st of the month after the month in which the
  person reaches n" (the 70–74 copayment) starts in their birthday month itself.
* **People born on 29 February**: in a common year the n-th birthday is taken as 1 March
  (民法 art. 143: a period with no corresponding day ends on the last day of the month), so
  they reach the age on 28 February.

:func:`age_on` is the legal age; :func:`everyday_age_on` is the one people say aloud
(it changes on the birthday itself). They differ only on the day before a birthday.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from shikaku.domain.errors import InvalidDate

__all__ = [
    "age_array",
    "age_on",
    "birthday",
    "date_reaching_age",
    "everyday_age_on",
    "latest_birth_reached",
]

_ONE_DAY = timedelta(days=1)


def _check_n(n: int) -> None:
    if n < 0:
        raise InvalidDate("age.invalid_n", field="age", value=n)


def birthday(birth: date, n: int) -> date:
    """The n-th birthday (``birthday(b, 0) == b``). For a 29 February birth in a common
    year this is 1 March."""
    _check_n(n)
    year = birth.year + n
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def date_reaching_age(birth: date, n: int) -> date:
    """The day on which the person reaches age n (n歳に達する日): the day before the n-th
    birthday. For n = 0 this is the day before birth, which no rule uses."""
    return birthday(birth, n) - _ONE_DAY


def age_on(birth: date, on: date) -> int:
    """Legal age on *on*: the largest n with ``on >= date_reaching_age(birth, n)``.

    On the day before the 20th birthday the person is already 20. Raises
    :class:`~shikaku.domain.errors.InvalidDate` (``age.before_birth``) when *on* < *birth*.
    """
    if on < birth:
        raise InvalidDate("age.before_birth", field="on", value=on)
    # Reached n ⟺ on + 1 day >= n-th birthday. Counting from on + 1 also covers a
    # 1 January birth, who reaches the new age on 31 December of the year before.
    t = on + _ONE_DAY
    n = t.year - birth.year
    if t < birthday(birth, n):
        n -= 1
    return n


def everyday_age_on(birth: date, on: date) -> int:
    """Age as people count it: it goes up on the birthday (1 March for a 29 February birth
    in a common year)."""
    if on < birth:
        raise InvalidDate("age.before_birth", field="on", value=on)
    n = on.year - birth.year
    if on < birthday(birth, n):
        n -= 1
    return n


def latest_birth_reached(on: date, n: int) -> date:
    """The latest date of birth of a person who has reached age n on *on*.

    Equivalent to ``age_on(birth, on) >= n  ⟺  birth <= latest_birth_reached(on, n)`` for
    every birth up to *on* (the unit tests check this exhaustively over years). Vectorised
    rules compare whole arrays of births with this one date instead of computing each age.
    """
    _check_n(n)
    # Reached n on `on` ⟺ birthday(birth, n) <= on + 1 day. birthday() is monotonic in
    # birth, so the births that qualify are those up to the same month-day n years before
    # on + 1; when that day is 29 February of a common year, the latest is 28 February.
    t = on + _ONE_DAY
    year = t.year - n
    try:
        return t.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def age_array(births: npt.NDArray[np.datetime64], on: date) -> npt.NDArray[np.int16]:
    """Legal ages on *on* for an array of ``datetime64[D]`` births (−1 for NaT or a birth
    after *on*)."""
    b = births.astype("datetime64[D]")
    years = b.astype("datetime64[Y]").astype(np.int64) + 1970
    # Legal age on `on` is the everyday age on the next day (reached at the end of the
    # day before the birthday). 29 Feb births have their birthday on 1 Mar in common years.
    t = on + _ONE_DAY
    n = (t.year - years).astype(np.int64)
    month_start = b.astype("datetime64[M]")
    months = month_start.astype(np.int64) % 12 + 1
    days = (b - month_start).astype(np.int64) + 1
    leap_t = t.year % 4 == 0 and (t.year % 100 != 0 or t.year % 400 == 0)
    md_birth = months * 100 + days
    if not leap_t:
        md_birth = np.where(md_birth == 229, 301, md_birth)
    md_t = t.month * 100 + t.day
    n = n - (md_birth > md_t)
    bad = np.isnat(b) | (b > np.datetime64(on, "D"))
    return np.where(bad, -1, n).astype(np.int16)
