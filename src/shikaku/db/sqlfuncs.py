"""Portable SQL functions for set-based rules (SQLite and PostgreSQL spell them differently)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class least(GenericFunction[Any]):
    """Smallest of the arguments (SQLite's scalar ``min``, PostgreSQL's ``LEAST``).

    Callers wrap nullable arguments in ``coalesce`` because the two engines treat NULL
    differently (SQLite returns NULL, PostgreSQL ignores it).
    """

    type = Date()
    inherit_cache = True


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(least, "postgresql")
def _least_pg(element: least, compiler: Any, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


class day_before_birthday(GenericFunction[Any]):
    """``day_before_birthday(birth_date, n)``: the day a person reaches age ``n`` under the legal
    age rule — the day before the n-th birthday, where a 29 February birthday falls on 1 March in
    common years (so the day before is 28 February). Matches ``domain.age.date_reaching_age``."""

    type = Date()
    inherit_cache = True


@compiles(day_before_birthday, "sqlite")
def _dbb_sqlite(element: day_before_birthday, compiler: Any, **kw: Any) -> str:
    birth, n = (compiler.process(c, **kw) for c in element.clauses)
    # SQLite's date() normalises 2075-02-29 to 2075-03-01, which is the legal birthday.
    return (
        f"date(printf('%04d', CAST(strftime('%Y', {birth}) AS INTEGER) + {n}) || "
        f"strftime('-%m-%d', {birth}), '-1 day')"
    )


@compiles(day_before_birthday, "postgresql")
def _dbb_pg(element: day_before_birthday, compiler: Any, **kw: Any) -> str:
    birth, n = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"(CASE WHEN EXTRACT(MONTH FROM {birth}) = 2 AND EXTRACT(DAY FROM {birth}) = 29 "
        f"THEN make_date(CAST(EXTRACT(YEAR FROM {birth}) AS INTEGER) + {n}, 3, 1) "
        f"ELSE CAST({birth} + make_interval(years => {n}) AS DATE) END - 1)"
    )
