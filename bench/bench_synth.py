"""Benchmark synthesis plus bulk load of a synthetic insurer (``shikaku.synth``).

For each target (a fresh SQLite file; a fresh PostgreSQL database created and dropped here),
every run starts from an empty, migrated database and times ``synthesize()`` + ``load()``
(reference data, encryption of the My Numbers, all five tables, index rebuild, commit,
ANALYZE on PostgreSQL). Medians over RUNS are printed with a markdown table.

Ceilings, timed on the same rows (generated and encrypted beforehand, untimed):

* PostgreSQL: a plain ``COPY … FROM STDIN (FORMAT csv)`` of each table from CSV files, as
  ``psql \\copy`` would do, into the migrated schema as it is (indexes and foreign keys live),
  and the same COPY with indexes and foreign keys set aside and rebuilt as the loader does;
* SQLite: a plain ``executemany`` of pre-built tuples in one transaction (engine defaults:
  WAL, synchronous=NORMAL, foreign keys on), and the same with the loader's pragmas and
  index rebuild.

    .venv/bin/python bench/bench_synth.py [--members 1000000] [--runs 3]
        [--targets sqlite,postgresql] [--pg-url postgresql://postgres@127.0.0.1/test]
        [--encrypt-workers 0,2] [--no-ceiling]
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from shikaku.actors import SYSTEM
from shikaku.crypto import MyNumberCipher
from shikaku.db.engine import make_engine, normalise_url, upgrade
from shikaku.registry.service import do_seed_reference_data
from shikaku.synth.population import Population, Table, synthesize

# The module (shikaku.synth exports a function with the same name).
synth_load = importlib.import_module("shikaku.synth.load")

AS_OF = date(2025, 4, 30)
SEED = 2025
KEY = bytes(range(32))
BENCH_DB = "shikaku_bench_synth"
AT = datetime(2025, 5, 1, tzinfo=UTC)


@dataclass
class Result:
    label: str
    seconds: list[float] = field(default_factory=list)
    synth: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


# --- Fresh databases ----------------------------------------------------------------------------


@contextmanager
def fresh_sqlite(directory: Path) -> Iterator[Engine]:
    path = directory / "bench_synth.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def fresh_postgresql(admin_url: str) -> Iterator[Engine]:
    url = make_url(normalise_url(admin_url))
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    eng = make_engine(url.set(database=BENCH_DB).render_as_string(hide_password=False))
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


# --- Runs ---------------------------------------------------------------------------------------


def run_loader(fresh: Callable[[], Any], members: int, workers: int, result: Result) -> None:
    with fresh() as eng:
        started = time.perf_counter()
        pop = synthesize(members, SEED, AS_OF)
        synth_seconds = time.perf_counter() - started
        stats = synth_load.load(eng, pop, MyNumberCipher(KEY), at=AT, encrypt_workers=workers)
        total = time.perf_counter() - started
    result.seconds.append(total)
    result.synth.append(synth_seconds)
    result.load.append(stats.seconds)
    result.stages.append(stats.stages)
    print(
        f"  {result.label}: {total:.1f} s (synth {synth_seconds:.1f} + load {stats.seconds:.1f})",
        flush=True,
    )


def prebuilt_tables(pop: Population) -> dict[str, Table]:
    enc = synth_load.EncryptionJob(pop.my_number["number"].tolist(), MyNumberCipher(KEY)).result()
    tables = dict(pop.tables())
    tables["my_number"] = synth_load.my_number_table(pop, enc)
    return tables


def _csv_column(col: Any) -> list[Any]:
    values = synth_load.sqlite_rows({"c": col}, 0, len(col))
    out = [v[0] for v in values]
    if out and isinstance(out[0], bytes):
        return ["\\x" + v.hex() for v in out]
    return out


def write_csvs(tables: dict[str, Table], directory: Path) -> dict[str, Path]:
    paths = {}
    for name, table in tables.items():
        path = directory / f"{name}.csv"
        cols = [_csv_column(c) for c in table.values()]
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(zip(*cols, strict=True))
        paths[name] = path
    return paths


def _seed(eng: Engine) -> None:
    with eng.begin() as conn:
        do_seed_reference_data(
            conn,
            actor=SYSTEM,
            at=AT,
            name_ja="全国健康保険協会",
            name_en="Japan Health Insurance Association",
        )


def ceiling_pg(
    fresh: Callable[[], Any],
    tables: dict[str, Table],
    csvs: dict[str, Path],
    defer: bool,
    result: Result,
) -> None:
    with fresh() as eng:
        _seed(eng)
        raw = eng.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            started = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
                deferred = (
                    synth_load._pg_defer(cur, list(tables)) if defer else synth_load._Deferred()
                )
                for name, table in tables.items():
                    sql = f"COPY {name} ({', '.join(table)}) FROM STDIN (FORMAT csv)"
                    with cur.copy(sql) as copy, csvs[name].open("rb") as fh:
                        while block := fh.read(1 << 20):
                            copy.write(block)
                for ddl in deferred.restore:
                    cur.execute(ddl)
            conn.commit()
            total = time.perf_counter() - started
        finally:
            raw.close()
    result.seconds.append(total)
    print(f"  {result.label}: {total:.1f} s", flush=True)


def ceiling_sqlite(
    fresh: Callable[[], Any],
    rows: dict[str, tuple[str, list[tuple[Any, ...]]]],
    defer: bool,
    result: Result,
) -> None:
    with fresh() as eng:
        _seed(eng)
        raw = eng.raw_connection()
        try:
            con = raw.driver_connection
            assert isinstance(con, sqlite3.Connection)
            started = time.perf_counter()
            if defer:
                con.execute("PRAGMA synchronous=OFF")
                con.execute("PRAGMA cache_size=-262144")
                con.execute("PRAGMA temp_store=MEMORY")
                con.execute("PRAGMA foreign_keys=OFF")
            con.execute("BEGIN")
            deferred = (
                synth_load._sqlite_defer(con, list(rows)) if defer else synth_load._Deferred()
            )
            for sql, values in rows.values():
                con.executemany(sql, values)
            for ddl in deferred.restore:
                con.execute(ddl)
            con.commit()
            total = time.perf_counter() - started
        finally:
            raw.close()
    result.seconds.append(total)
    print(f"  {result.label}: {total:.1f} s", flush=True)


# --- Report -------------------------------------------------------------------------------------


def report(target: str, members: int, results: list[Result]) -> list[str]:
    ours = results[0]
    lines = [
        f"| {target} | what | median s | min–max s | members/s | speed vs loader |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        rate = members / r.median
        ratio = ours.median / r.median
        lines.append(
            f"| {target} | {r.label} | {r.median:.1f} | {min(r.seconds):.1f}–"
            f"{max(r.seconds):.1f} | {rate:,.0f} | {ratio:.2f} |"
        )
    for r in results:
        if r.synth:
            stages: dict[str, list[float]] = {}
            for s in r.stages:
                for k, v in s.items():
                    stages.setdefault(k, []).append(v)
            detail = ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in stages.items())
            lines.append(
                f"\n{target} {r.label}: synth {statistics.median(r.synth):.1f} s, load "
                f"{statistics.median(r.load):.1f} s ({detail})"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--targets", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "SHIKAKU_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/test"
        ),
    )
    parser.add_argument(
        "--encrypt-workers",
        default="0,2",
        help="comma-separated variants of load(encrypt_workers=…)",
    )
    parser.add_argument("--no-ceiling", action="store_true")
    args = parser.parse_args()
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    workers = [int(w) for w in args.encrypt_workers.split(",")]
    n = args.members
    print(
        f"{n:,} members, {args.runs} runs, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs",
        flush=True,
    )
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_synth_") as tmp:
        work = Path(tmp)
        ceiling_tables: dict[str, Table] | None = None
        for target in targets:
            if target == "sqlite":

                def fresh() -> Any:
                    return fresh_sqlite(work)
            else:

                def fresh() -> Any:
                    return fresh_postgresql(args.pg_url)

            ours = [Result(f"synthesize + load, encrypt_workers={w}") for w in workers]
            if target == "sqlite":
                plain = Result("ceiling: plain executemany of pre-built tuples")
                tuned = Result("ceiling: pre-built tuples, loader's pragmas + index rebuild")
            else:
                plain = Result("ceiling: plain COPY from CSV files")
                tuned = Result("ceiling: COPY from CSV files + loader's index/FK rebuild")
            if not args.no_ceiling and ceiling_tables is None:
                ceiling_tables = prebuilt_tables(synthesize(n, SEED, AS_OF))
            csvs = (
                write_csvs(ceiling_tables, work)
                if ceiling_tables is not None and target != "sqlite"
                else {}
            )
            rows = (
                {
                    name: (
                        f"INSERT INTO {name} ({', '.join(t)}) VALUES ({', '.join('?' * len(t))})",
                        synth_load.sqlite_rows(t, 0, len(next(iter(t.values())))),
                    )
                    for name, t in ceiling_tables.items()
                }
                if ceiling_tables is not None and target == "sqlite"
                else {}
            )
            print(f"{target}:", flush=True)
            for _ in range(args.runs):
                for r, w in zip(ours, workers, strict=True):
                    run_loader(fresh, n, w, r)
                if ceiling_tables is not None:
                    if target == "sqlite":
                        ceiling_sqlite(fresh, rows, False, plain)
                        ceiling_sqlite(fresh, rows, True, tuned)
                    else:
                        ceiling_pg(fresh, ceiling_tables, csvs, False, plain)
                        ceiling_pg(fresh, ceiling_tables, csvs, True, tuned)
            results = sorted(ours, key=lambda r: r.median)
            if ceiling_tables is not None:
                results += [plain, tuned]
            lines += [*report(target, n, results), ""]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
