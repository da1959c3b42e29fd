"""Bulk loaders: a :class:`~shikaku.synth.population.Population` into PostgreSQL (``COPY``) or
SQLite (``executemany``), in one transaction, so a crash leaves either the old state or the
whole new population.

The My Numbers are encrypted here (AES-GCM through :class:`~shikaku.crypto.MyNumberCipher`,
one encryptor reused), optionally in a separate process while the other tables load.

For speed, secondary indexes, unique constraints and foreign keys of the loaded tables can be
set aside during the load and rebuilt at the end of the same transaction (what ``pg_restore``
does): a rebuilt index is sorted once instead of updated a million times, and a re-added foreign
key is checked by one join. The schema afterwards is exactly the one before (definitions are
read back from the database, not from our metadata).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, Engine, text

from shikaku.actors import SYSTEM
from shikaku.clock import SystemClock
from shikaku.crypto import MyNumberCipher
from shikaku.registry.audit import write_audit
from shikaku.registry.service import do_seed_reference_data
from shikaku.synth.population import Column, Population, Table

log = logging.getLogger(__name__)

#: Tables the population fills, parents first.
POPULATION_TABLES: tuple[str, ...] = (
    "employer",
    "person",
    "membership",
    "my_number",
    "myna_status",
)
#: Rows per chunk handed to COPY / executemany (progress is reported per chunk).
LOAD_CHUNK_ROWS = 50_000
#: Send COPY data from a separate thread, so the next chunk is formatted while the server
#: parses this one (psycopg's QueuedLibpqWriter).
COPY_WRITER_THREAD = True
#: My Numbers per encryption task.
ENCRYPT_CHUNK = 100_000
#: Sequences to move past the explicit ids (PostgreSQL).
ID_TABLES: tuple[str, ...] = ("employer", "person", "membership")
INSURER_NAME_JA = "全国健康保険協会"
INSURER_NAME_EN = "Japan Health Insurance Association"

LoadProgress = Callable[[str, int, int], None]


class PopulationExistsError(RuntimeError):
    """The database already holds members and ``replace`` was not asked for."""


class UnsupportedDatabaseError(RuntimeError):
    """The engine's database is neither SQLite nor PostgreSQL."""


class LoadError(RuntimeError):
    """The load failed a consistency check; the transaction was rolled back."""


@dataclass(frozen=True)
class LoadStats:
    """What a load did: rows per table, wall-clock seconds in total and per stage."""

    dialect: str
    members: int
    rows: dict[str, int]
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def members_per_second(self) -> float:
        return self.members / self.seconds if self.seconds > 0 else float("inf")


# --- Encryption -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedNumbers:
    ciphertext: list[bytes]
    blind_index: list[bytes]
    key_id: str


def _encrypt_chunk(cipher: MyNumberCipher, numbers: list[str]) -> tuple[list[bytes], list[bytes]]:
    enc = cipher.encryptor()
    encrypt, blind = enc.encrypt, enc.blind_index
    return [encrypt(n) for n in numbers], [blind(n) for n in numbers]


class EncryptionJob:
    """Encrypts My Numbers synchronously (``workers=0``) or in ``workers`` processes, so the
    caller can load other tables meanwhile and pick the result up later."""

    def __init__(
        self,
        numbers: Sequence[str],
        cipher: MyNumberCipher,
        *,
        workers: int = 0,
        progress: LoadProgress | None = None,
    ) -> None:
        self._cipher = cipher
        self._total = len(numbers)
        self._progress = progress
        self._pool: cf.ProcessPoolExecutor | None = None
        self._futures: list[cf.Future[tuple[list[bytes], list[bytes]]]] = []
        self._result: EncryptedNumbers | None = None
        self.seconds = 0.0
        self._started = time.perf_counter()
        chunks = [
            list(numbers[i : i + ENCRYPT_CHUNK]) for i in range(0, len(numbers), ENCRYPT_CHUNK)
        ]
        if workers > 0 and len(chunks) > 1:
            # spawn, not fork: the parent holds database connections and threads.
            self._pool = cf.ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")
            )
            self._futures = [self._pool.submit(_encrypt_chunk, cipher, c) for c in chunks]
        else:
            cts: list[bytes] = []
            bis: list[bytes] = []
            for chunk in chunks:
                ct, bi = _encrypt_chunk(cipher, chunk)
                cts += ct
                bis += bi
                if progress:
                    progress("encrypt", len(cts), self._total)
            self._result = EncryptedNumbers(cts, bis, cipher.key_id)
            self.seconds = time.perf_counter() - self._started

    def result(self) -> EncryptedNumbers:
        """Wait for the ciphertexts and blind indexes (in the order of the numbers)."""
        if self._result is None:
            cts: list[bytes] = []
            bis: list[bytes] = []
            try:
                for fut in self._futures:
                    ct, bi = fut.result()
                    cts += ct
                    bis += bi
                    if self._progress:
                        self._progress("encrypt", len(cts), self._total)
            finally:
                self.close()
            self._result = EncryptedNumbers(cts, bis, self._cipher.key_id)
            self.seconds = time.perf_counter() - self._started
        return self._result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def my_number_table(population: Population, enc: EncryptedNumbers) -> Table:
    """The ``my_number`` rows: person id, ciphertext, key id, blind index, last 4 digits."""
    numbers = population.my_number["number"]
    n = len(numbers)
    return {
        "person_id": population.my_number["person_id"],
        "ciphertext": _obj(enc.ciphertext),
        "key_id": np.full(n, enc.key_id, dtype=object),
        "blind_index": _obj(enc.blind_index),
        "last4": np.array([s[-4:] for s in numbers.tolist()], dtype=object),
    }


def _obj(values: list[Any]) -> Column:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# --- Column conversion ------------------------------------------------------------------------

_PG_NULL = "\\N"
_PG_SPECIAL = ("\\", "\t", "\n", "\r")
_PG_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _date_strings(col: Column, null: Any) -> list[Any]:
    """ISO dates via a lookup table over the column's range (datetime_as_string on every
    element is ten times slower); NaT becomes ``null``."""
    nat = np.isnat(col)
    if nat.all():
        return [null] * len(col)
    lo, hi = col[~nat].min(), col[~nat].max()
    table = np.datetime_as_string(np.arange(lo, hi + np.timedelta64(1, "D")), unit="D")
    table = np.append(table.astype(object), null)
    index = np.where(nat, len(table) - 1, (col - lo).astype(np.int64))
    return table[index].tolist()  # type: ignore[no-any-return]


def _pg_text(col: Column) -> list[str]:
    """One column as PostgreSQL COPY text fields."""
    if isinstance(col, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(col)
        return [
            _PG_NULL if m else str(v) for v, m in zip(col.data.tolist(), mask.tolist(), strict=True)
        ]
    kind = col.dtype.kind
    if kind == "M":
        return _date_strings(col, _PG_NULL)
    if kind == "b":
        return np.where(col, "t", "f").tolist()  # type: ignore[no-any-return]
    if kind in "iu":
        return [str(v) for v in col.tolist()]
    if len(col) and isinstance(col[0], bytes):
        # bytea hex input is \x<hex>; COPY text needs the backslash doubled.
        return ["\\\\x" + v.hex() for v in col.tolist()]
    null = np.array([v is None for v in col.tolist()], dtype=np.bool_)
    strings = col.copy()
    strings[null] = ""
    values: list[str] = strings.tolist()
    joined = "".join(values)
    if any(ch in joined for ch in _PG_SPECIAL):
        values = [v.translate(_PG_ESCAPE) for v in values]
    if null.any():
        for i in np.flatnonzero(null).tolist():
            values[i] = _PG_NULL
    return values


def _sqlite_values(col: Column) -> list[Any]:
    """One column as Python values the way SQLAlchemy stores them in SQLite (dates as ISO
    text, booleans as 0/1)."""
    if isinstance(col, np.ma.MaskedArray):
        return col.tolist()  # type: ignore[no-any-return]  # masked -> None
    kind = col.dtype.kind
    if kind == "M":
        return _date_strings(col, None)
    if kind == "b":
        return col.astype(np.int8).tolist()  # type: ignore[no-any-return]
    return col.tolist()  # type: ignore[no-any-return]


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(n, start + size)


def copy_text(table: Table, start: int, stop: int) -> bytes:
    """Rows ``start:stop`` of a table as PostgreSQL COPY text (tab-separated, ``\\N`` nulls)."""
    cols = [_pg_text(c[start:stop]) for c in table.values()]
    return ("\n".join(map("\t".join, zip(*cols, strict=True))) + "\n").encode("utf-8")


def sqlite_rows(table: Table, start: int, stop: int) -> list[tuple[Any, ...]]:
    """Rows ``start:stop`` of a table as tuples for ``executemany``."""
    return list(zip(*(_sqlite_values(c[start:stop]) for c in table.values()), strict=True))


# --- Guards and replacement -------------------------------------------------------------------


def _dependent_tables(conn: Connection) -> list[str]:
    """The population tables and every table that references them (transitively), children
    first, limited to tables that exist in the database."""
    from sqlalchemy import inspect

    from shikaku.db.tables import metadata

    existing = set(inspect(conn).get_table_names())
    closure = set(POPULATION_TABLES)
    changed = True
    while changed:
        changed = False
        for t in metadata.sorted_tables:
            if t.name in closure:
                continue
            if any(fk.column.table.name in closure for fk in t.foreign_keys):
                closure.add(t.name)
                changed = True
    ordered = [t.name for t in reversed(metadata.sorted_tables) if t.name in closure]
    return [t for t in ordered if t in existing]


def _has_members(conn: Connection) -> bool:
    probe = " UNION ALL ".join(
        f"SELECT 1 FROM (SELECT 1 FROM {t} LIMIT 1) AS s_{t}" for t in POPULATION_TABLES
    )
    return conn.execute(text(probe)).first() is not None


def _refuse_or_clear(conn: Connection, replace: bool) -> bool:
    """Raise if members exist and ``replace`` is false; else delete them. Returns whether the
    population tables were empty to begin with."""
    if not _has_members(conn):
        return True
    if not replace:
        raise PopulationExistsError(
            "the database already holds members; use --replace (replace=True) to delete them "
            "first / データベースに既に加入者データがあります。置き換える場合は --replace を"
            "指定してください"
        )
    tables = _dependent_tables(conn)
    log.info("synth load: replacing population", extra={"tables": tables})
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            conn.execute(text(f"DELETE FROM {t}"))
    return False


# --- Deferred indexes and constraints ---------------------------------------------------------


@dataclass
class _Deferred:
    """DDL to run after the load, in order."""

    restore: list[str] = field(default_factory=list)


def _pg_defer(cur: Any, tables: Sequence[str]) -> _Deferred:
    """Drop the loaded tables' foreign keys, unique constraints (unless a foreign key uses
    them) and plain indexes; return the DDL that recreates them. Primary keys stay."""
    cur.execute(
        """
        SELECT c.contype, c.conrelid::regclass::text, quote_ident(c.conname),
               pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.conrelid = ANY (%(oids)s::regclass[])
          AND (c.contype = 'f'
               OR (c.contype = 'u' AND NOT EXISTS (
                   SELECT 1 FROM pg_constraint f
                   WHERE f.contype = 'f' AND f.conindid = c.conindid)))
        ORDER BY c.contype, c.conname
        """,
        {"oids": list(tables)},
    )
    constraints = cur.fetchall()
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY (%(oids)s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        {"oids": list(tables)},
    )
    indexes = cur.fetchall()
    deferred = _Deferred()
    fks = [c for c in constraints if c[0] == "f"]
    uniques = [c for c in constraints if c[0] == "u"]
    for _kind, rel, name, _def in fks + uniques:
        cur.execute(f"ALTER TABLE {rel} DROP CONSTRAINT {name}")
    for name, _def in indexes:
        cur.execute(f"DROP INDEX {name}")
    deferred.restore += [
        f"ALTER TABLE {rel} ADD CONSTRAINT {name} {d}" for _k, rel, name, d in uniques
    ]
    deferred.restore += [d for _n, d in indexes]
    deferred.restore += [f"ALTER TABLE {rel} ADD CONSTRAINT {name} {d}" for _k, rel, name, d in fks]
    return deferred


def _sqlite_defer(con: sqlite3.Connection, tables: Sequence[str]) -> _Deferred:
    """Drop the loaded tables' explicit indexes (unique constraints declared in the table
    stay: SQLite cannot drop them); return the DDL that recreates them."""
    marks = ",".join("?" * len(tables))
    rows = con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        tuple(tables),
    ).fetchall()
    for name, _sql in rows:
        con.execute(f'DROP INDEX "{name}"')
    return _Deferred(restore=[sql for _name, sql in rows])


# --- Loaders ----------------------------------------------------------------------------------


class _Timer:
    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._t
        self._t = now


@dataclass
class _Run:
    """Everything one load needs, handed to the dialect's loader."""

    population: Population
    job: EncryptionJob
    report: LoadProgress
    replace: bool
    at: datetime
    defer: bool
    timer: _Timer
    name_ja: str
    name_en: str

    def tables(self) -> Iterator[tuple[str, Table]]:
        """Tables in load order; ``my_number`` waits for the encryption."""
        for name, table in self.population.tables().items():
            if name == "my_number":
                table = my_number_table(self.population, self.job.result())
                self.timer.lap("encrypt (wait)")
            yield name, table

    def seed(self, conn: Connection) -> None:
        do_seed_reference_data(
            conn, actor=SYSTEM, at=self.at, name_ja=self.name_ja, name_en=self.name_en
        )

    def audit(self, conn: Connection, rows: dict[str, int]) -> None:
        pop = self.population
        detail = {"members": pop.members, "seed": pop.seed, "as_of": pop.as_of, "rows": rows}
        write_audit(
            conn,
            actor=SYSTEM,
            at=self.at,
            action="synth-load",
            subject_type="insurer",
            subject_id=1,
            detail=detail,
        )


def load(
    engine: Engine,
    population: Population,
    cipher: MyNumberCipher,
    *,
    progress: LoadProgress | None = None,
    replace: bool = False,
    at: datetime | None = None,
    encrypt_workers: int = 0,
    defer_constraints: bool = True,
    name_ja: str = INSURER_NAME_JA,
    name_en: str = INSURER_NAME_EN,
) -> LoadStats:
    """Load ``population`` into the database of ``engine`` in one transaction.

    The population tables must be empty (else :class:`PopulationExistsError`) unless
    ``replace`` is true, which deletes them and every row that references them first. The
    insurer (``name_ja``/``name_en``) and its 47 branches are created with
    ``do_seed_reference_data`` if missing. ``encrypt_workers`` > 0 encrypts the My Numbers in
    that many processes (started with *spawn*: a script calling this needs the usual
    ``if __name__ == "__main__":`` guard) while the other tables load. ``defer_constraints``
    rebuilds indexes and re-checks foreign keys once at the end instead of per row.
    Returns rows per table and seconds.
    """
    started = time.perf_counter()
    at = at or SystemClock().now()
    if not replace:
        # Refuse before spending seconds on encryption; the load re-checks in its transaction.
        with engine.connect() as conn:
            _refuse_or_clear(conn, replace=False)
    report = progress or (lambda _stage, _done, _total: None)
    numbers = population.my_number["number"].tolist()
    timer = _Timer()
    job = EncryptionJob(numbers, cipher, workers=encrypt_workers, progress=report)
    if encrypt_workers == 0:
        timer.lap("encrypt")
    run = _Run(population, job, report, replace, at, defer_constraints, timer, name_ja, name_en)
    try:
        dialect = engine.dialect.name
        if dialect == "postgresql":
            rows = _load_postgresql(engine, run)
        elif dialect == "sqlite":
            rows = _load_sqlite(engine, run)
        else:
            raise UnsupportedDatabaseError(
                f"bulk load supports SQLite and PostgreSQL, not {dialect} / "
                f"一括投入は SQLite と PostgreSQL のみ対応です（{dialect} は対象外）"
            )
    finally:
        job.close()
    stats = LoadStats(
        dialect, population.members, rows, time.perf_counter() - started, timer.stages
    )
    log.info(
        "synth load done",
        extra={"dialect": dialect, "rows": rows, "seconds": round(stats.seconds, 2)},
    )
    return stats


def _load_postgresql(engine: Engine, run: _Run) -> dict[str, int]:
    rows: dict[str, int] = {}
    with engine.connect() as conn:
        with conn.begin():
            _refuse_or_clear(conn, run.replace)
            run.seed(conn)
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur:
                cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
                deferred = _pg_defer(cur, POPULATION_TABLES) if run.defer else _Deferred()
                run.timer.lap("prepare")
                for name, table in run.tables():
                    n = len(next(iter(table.values())))
                    sql = f"COPY {name} ({', '.join(table)}) FROM STDIN"
                    writer = QueuedLibpqWriter(cur) if COPY_WRITER_THREAD else None
                    with cur.copy(sql, writer=writer) as copy:
                        for start, stop in _chunks(n, LOAD_CHUNK_ROWS):
                            copy.write(copy_text(table, start, stop))
                            run.report(name, stop, n)
                    rows[name] = n
                    run.timer.lap(name)
                for i, ddl in enumerate(deferred.restore, 1):
                    cur.execute(ddl)
                    run.report("indexes", i, len(deferred.restore))
                for t in ID_TABLES:  # later inserts take ids after ours
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {t}))"
                    )
                run.timer.lap("indexes")
            run.audit(conn, rows)
        run.timer.lap("commit")
        # Fresh statistics, so the first queries on a million rows get sensible plans.
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql(f"ANALYZE {', '.join(POPULATION_TABLES)}")
    run.timer.lap("analyze")
    return rows


def _pragma(con: sqlite3.Connection, name: str) -> Any:
    return con.execute(f"PRAGMA {name}").fetchone()[0]


def _load_sqlite(engine: Engine, run: _Run) -> dict[str, int]:
    rows: dict[str, int] = {}
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        fresh = not _has_members(conn)
        conn.rollback()
        pragmas = ("synchronous", "cache_size", "temp_store", "foreign_keys")
        saved = {p: _pragma(raw, p) for p in pragmas}
        try:
            # Pragmas change only outside a transaction. synchronous=OFF puts the file at risk
            # only on an OS crash or power cut, and only while it holds no members yet.
            if fresh:
                raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA cache_size=-262144")  # 256 MiB
            raw.execute("PRAGMA temp_store=MEMORY")
            if run.defer:
                raw.execute("PRAGMA foreign_keys=OFF")  # checked set-wise at the end
            with conn.begin():
                if not raw.in_transaction:  # DDL below must not autocommit
                    raw.execute("BEGIN")
                _refuse_or_clear(conn, run.replace)
                run.seed(conn)
                deferred = _sqlite_defer(raw, POPULATION_TABLES) if run.defer else _Deferred()
                run.timer.lap("prepare")
                for name, table in run.tables():
                    n = len(next(iter(table.values())))
                    marks = ", ".join("?" * len(table))
                    sql = f"INSERT INTO {name} ({', '.join(table)}) VALUES ({marks})"
                    for start, stop in _chunks(n, LOAD_CHUNK_ROWS):
                        raw.executemany(sql, sqlite_rows(table, start, stop))
                        run.report(name, stop, n)
                    rows[name] = n
                    run.timer.lap(name)
                for i, ddl in enumerate(deferred.restore, 1):
                    raw.execute(ddl)
                    run.report("indexes", i, len(deferred.restore))
                if run.defer and saved["foreign_keys"]:
                    for t in POPULATION_TABLES:
                        if raw.execute(f"PRAGMA foreign_key_check({t})").fetchone() is not None:
                            raise LoadError(
                                f"foreign key violation in {t} / {t} に外部キー違反があります"
                            )
                run.timer.lap("indexes")
                run.audit(conn, rows)
            run.timer.lap("commit")
        finally:
            if raw.in_transaction:
                raw.rollback()
            for p, value in saved.items():
                raw.execute(f"PRAGMA {p}={value}")
    return rows
