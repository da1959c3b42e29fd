"""The portable SQL date functions agree with the domain's legal age rule on both engines."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, literal, select

from shikaku.db.sqlfuncs import day_before_birthday, least
from shikaku.domain.age import date_reaching_age

BIRTHS = [
    date(1950, 1, 1), date(1950, 4, 1), date(1950, 4, 2), date(1952, 2, 29), date(1956, 2, 29),
    date(1951, 3, 1), date(1951, 2, 28), date(1960, 12, 31), date(1964, 3, 1), date(2000, 2, 29),
]  # fmt: skip


@pytest.mark.parametrize("birth", BIRTHS)
@pytest.mark.parametrize("n", [6, 70, 75])
def test_day_before_birthday_matches_domain(engine: Engine, birth: date, n: int) -> None:
    with engine.connect() as conn:
        got = conn.execute(select(day_before_birthday(literal(birth), n))).scalar_one()
    if isinstance(got, str):
        got = date.fromisoformat(got)
    assert got == date_reaching_age(birth, n)


def test_least(engine: Engine) -> None:
    with engine.connect() as conn:
        got = conn.execute(
            select(
                least(
                    literal(date(2030, 1, 1)), literal(date(2029, 5, 5)), literal(date(2031, 1, 1))
                )
            )
        ).scalar_one()
    assert str(got) == "2029-05-05"
