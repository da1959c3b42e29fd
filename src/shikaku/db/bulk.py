"""Many plain rows into one table with the driver's own ``executemany``.

``conn.execute(insert(t), [dict, …])`` compiles and checks every row's parameters in Python
(about 10 µs a row); for the tens of thousands of rows a wave writes that is seconds of the
main process. Here the statement is built once, the column types' bind processors (e.g.
SQLite's text form of a ``DateTime``) are applied only where a type has one, and the rows go
to the driver as tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table

_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``; returns how many."""
    dialect = conn.dialect
    mark = _PLACEHOLDER.get(dialect.paramstyle)
    if mark is None:  # pragma: no cover - only the dialects this project runs on
        raise ValueError(f"unsupported parameter style {dialect.paramstyle!r}")
    procs = [
        (i, p)
        for i, name in enumerate(columns)
        if (p := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    data: list[Sequence[Any]] = list(rows)
    if procs:
        converted: list[Sequence[Any]] = []
        for row in data:
            values = list(row)
            for i, p in procs:
                values[i] = p(values[i])
            converted.append(tuple(values))
        data = converted
    if not data:
        return 0
    q = dialect.identifier_preparer
    sql = (
        f"INSERT INTO {q.format_table(table)} ({', '.join(q.quote(c) for c in columns)}) "
        f"VALUES ({', '.join(mark for _ in columns)})"
    )
    conn.exec_driver_sql(sql, data)
    return len(data)
