"""Read side of the eligibility check: one prepared statement per look-up.

The common answer needs one statement: the membership by its key, joined to the person.
Three follow-ups run only when the answer needs them: whether the person has a newer
membership (only when the found one does not cover the service date), the insured person's
age and 標準報酬月額 (only for a dependant in the 70–74 band, for 現役並み), and the Myna-card
status (only when the patient presented the card). Readers come in two shapes with the same
methods: :class:`SqliteReader` (synchronous; a read-only connection per worker, ~20 µs a
look-up, run on the event loop) and :class:`AsyncPostgresReader` (psycopg async connections, so
a worker keeps many look-ups in flight while PostgreSQL works). :class:`PostgresReader` is the
synchronous PostgreSQL variant for batches.

These statements read the registry's tables directly (membership, person, myna_status,
branch): the check is the hottest path of the system, and going through the registry's
SQLAlchemy service would cost several times the look-up itself. They only read, and the
column lists below are the whole contract with the registry (see ADR 0005).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Connection, select
from sqlalchemy.engine import make_url

from shikaku.db.engine import normalise_url
from shikaku.registry.tables import branch, insurer


class MemberRow(NamedTuple):
    """One membership with what the answer needs (no address, no My Number)."""

    membership_id: int
    person_id: int
    insured_person_id: int
    branch_code: str
    symbol: str
    number: str
    branch_no: str
    relationship: int
    valid_from: date
    valid_to: date | None
    loss_reason: str | None
    remuneration: int | None  # 標準報酬月額 (insured persons)
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    sex: int
    birth_date: date


class MynaRow(NamedTuple):
    """The registration-status data of one person."""

    card_held: bool
    card_returned: bool
    insurance_registered: bool
    registration_cancelled: bool
    ecert_expiry: date | None


class InsuredRow(NamedTuple):
    """What a dependant's copayment needs from the insured person."""

    birth_date: date
    remuneration: int | None


class EligibilityReader(Protocol):
    """The look-ups the service needs (synchronous readers)."""

    def by_key(self, branch_code: str, symbol: str, number: str, branch_no: str) -> list[MemberRow]:
        """The membership with this key (0 or 1 rows)."""
        ...

    def by_number(
        self, branch_code: str, number: str, branch_no: str, birth_date: date
    ) -> list[MemberRow]:
        """Memberships with this 番号・枝番 and birth date in the branch (symbol omitted)."""
        ...

    def by_card(self, card_key: str) -> tuple[list[MemberRow], MynaRow | None]:
        """Every membership of the person holding this card, and the card's status."""
        ...

    def has_newer(self, person_id: int, valid_from: date) -> bool:
        """True when the person has a membership that started after *valid_from*."""
        ...

    def insured(
        self, insured_person_id: int, branch_code: str, symbol: str, number: str
    ) -> InsuredRow | None:
        """The insured person's birth date and 標準報酬月額 (for a dependant)."""
        ...

    def myna(self, person_id: int) -> MynaRow | None:
        """The person's Myna-card status, if the feed has one."""
        ...

    def close(self) -> None: ...


_MEMBER = """
SELECT m.id, m.person_id, m.insured_person_id, m.branch_code, m.symbol, m.number, m.branch_no,
       m.relationship, m.valid_from, m.valid_to, m.loss_reason, m.standard_monthly_remuneration,
       p.family_name, p.given_name, p.family_name_kana, p.given_name_kana, p.sex, p.birth_date
FROM membership m JOIN person p ON p.id = m.person_id
"""
_STATUS = "s.card_held, s.card_returned, s.insurance_registered, s.registration_cancelled, "
_STATUS += "s.ecert_expiry"
SQL_BY_KEY = (
    _MEMBER
    + "WHERE m.branch_code = {p} AND m.symbol = {p} AND m.number = {p} AND m.branch_no = {p}"
)
# Without the symbol, (branch, 番号, 枝番) matches one member of nearly every employer in the
# branch (番号 is numbered per employer): hundreds of thousands of rows in a large branch at
# national scale. The people born on the given day are ~1/29,000 of the population whatever
# the branch, so the look-up starts there and probes each one's memberships by person, branch,
# 番号 and 枝番. Both steps read indexes only (migration 0016): the people from
# ix_person_birth_date (birth_date, id), their memberships from ix_membership_person
# (person_id, branch_code, number, branch_no); only the member found is read from the tables
# (``c`` the candidates, ``p`` the person of the match). Both planners must be told the order:
# their estimates for the three membership columns multiply the selectivities and come out far
# too low. SQLite keeps the tables' order after CROSS JOIN; PostgreSQL runs the subqueries with
# OFFSET 0 as written (a LATERAL probe per candidate), without pulling them up into the join.
# Parameters: birth date, branch code, 番号, 枝番.
SQL_BY_NUMBER = (
    _MEMBER.replace(
        "membership m JOIN person p ON p.id = m.person_id",
        "person c CROSS JOIN membership m CROSS JOIN person p",
    )
    + "WHERE c.birth_date = {p} AND m.person_id = c.id AND m.branch_code = {p}"
    " AND m.number = {p} AND m.branch_no = {p} AND p.id = m.person_id"
)
SQL_BY_NUMBER_PG = _MEMBER.replace(
    "FROM membership m JOIN person p ON p.id = m.person_id",
    "FROM (SELECT c.id FROM person c WHERE c.birth_date = {p} OFFSET 0) c"
    " CROSS JOIN LATERAL (SELECT * FROM membership m WHERE m.person_id = c.id"
    " AND m.branch_code = {p} AND m.number = {p} AND m.branch_no = {p} OFFSET 0) m"
    " JOIN person p ON p.id = m.person_id",
)
SQL_BY_CARD = (
    _MEMBER.replace("\nFROM", f", {_STATUS}\nFROM")
    + "JOIN myna_status s ON s.person_id = m.person_id WHERE s.card_key = {p}"
)
# The same look-up for many keys at once (PostgreSQL): the async reader coalesces the requests
# that arrive while a query is in flight into one statement, one round trip.
SQL_BY_KEYS = _MEMBER.replace("SELECT m.id", "SELECT k.i, m.id").replace(
    "FROM membership m JOIN person p ON p.id = m.person_id",
    "FROM unnest({p}::text[], {p}::text[], {p}::text[], {p}::text[]) WITH ORDINALITY"
    " AS k(bc, sym, num, br, i)"
    " JOIN membership m ON m.branch_code = k.bc AND m.symbol = k.sym"
    " AND m.number = k.num AND m.branch_no = k.br"
    " JOIN person p ON p.id = m.person_id",
)
SQL_HAS_NEWER = "SELECT 1 FROM membership WHERE person_id = {p} AND valid_from > {p} LIMIT 1"
SQL_INSURED = (
    "SELECT p.birth_date, m.standard_monthly_remuneration FROM membership m "
    "JOIN person p ON p.id = m.person_id WHERE m.branch_code = {p} AND m.symbol = {p} "
    "AND m.number = {p} AND m.relationship = 1 AND m.person_id = {p}"
)
SQL_MYNA = f"SELECT {_STATUS} FROM myna_status s WHERE s.person_id = {{p}}"


#: Reader sessions only read. Their statements are prepared once and run millions of times
#: with different keys, and one plan fits every key (index look-ups), so the generic plan is
#: forced: left to itself PostgreSQL re-plans the coalesced ``unnest`` statement on every
#: execution (~0.15 ms, more than looking up a dozen keys; bench/README.md).
SESSION_SETTINGS = (
    "SET default_transaction_read_only = on",
    "SET plan_cache_mode = force_generic_plan",
)


class _Dates(dict[Any, Any]):
    """ISO text (SQLite) or a date (PostgreSQL) → date, memoised: a few tens of thousands of
    distinct dates come back all day, and a hit is a plain dict look-up in C."""

    def __missing__(self, value: Any) -> Any:
        day = value if value is None or isinstance(value, date) else date.fromisoformat(value)
        if len(self) >= 262_144:
            self.clear()
        self[value] = day
        return day


_dates = _Dates()
_d = _dates.__getitem__
_tuple_new = tuple.__new__  # skips the NamedTuple's Python-level __new__ (hot path)


def _member(r: Sequence[Any], dates: _Dates = _dates) -> MemberRow:
    return _tuple_new(MemberRow, (
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], dates[r[8]], dates[r[9]], r[10], r[11],
        r[12], r[13], r[14], r[15], r[16], dates[r[17]],
    ))  # fmt: skip


def _myna(r: Sequence[Any]) -> MynaRow:
    return MynaRow(bool(r[0]), bool(r[1]), bool(r[2]), bool(r[3]), _d(r[4]))


def _card(rows: Sequence[Sequence[Any]]) -> tuple[list[MemberRow], MynaRow | None]:
    if not rows:
        return [], None
    return [_member(r) for r in rows], _myna(rows[0][18:])


class SqliteReader:
    """Read-only SQLite connection (``mode=ro``); calls are serialised by the caller."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, cached_statements=32
        )
        self._conn.execute("PRAGMA query_only=ON")
        self._conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache per worker
        self._conn.execute("PRAGMA mmap_size=1073741824")
        sql = {
            name: stmt.format(p="?")
            for name, stmt in (
                ("key", SQL_BY_KEY),
                ("number", SQL_BY_NUMBER),
                ("card", SQL_BY_CARD),
                ("newer", SQL_HAS_NEWER),
                ("insured", SQL_INSURED),
                ("myna", SQL_MYNA),
            )
        }
        self._sql = sql
        self._key_sql = sql["key"]
        self._cursor = self._conn.cursor()  # one cursor for the look-up by key (hot path)

    def by_key(self, branch_code: str, symbol: str, number: str, branch_no: str) -> list[MemberRow]:
        cur = self._cursor.execute(self._key_sql, (branch_code, symbol, number, branch_no))
        return [_member(r) for r in cur.fetchall()]

    def by_number(
        self, branch_code: str, number: str, branch_no: str, birth_date: date
    ) -> list[MemberRow]:
        rows = self._conn.execute(
            self._sql["number"], (birth_date.isoformat(), branch_code, number, branch_no)
        )
        return [_member(r) for r in rows.fetchall()]

    def by_card(self, card_key: str) -> tuple[list[MemberRow], MynaRow | None]:
        return _card(self._conn.execute(self._sql["card"], (card_key,)).fetchall())

    def has_newer(self, person_id: int, valid_from: date) -> bool:
        cur = self._conn.execute(self._sql["newer"], (person_id, valid_from.isoformat()))
        return cur.fetchone() is not None

    def insured(
        self, insured_person_id: int, branch_code: str, symbol: str, number: str
    ) -> InsuredRow | None:
        row = self._conn.execute(
            self._sql["insured"], (branch_code, symbol, number, insured_person_id)
        ).fetchone()
        return None if row is None else InsuredRow(_d(row[0]), row[1])

    def myna(self, person_id: int) -> MynaRow | None:
        row = self._conn.execute(self._sql["myna"], (person_id,)).fetchone()
        return None if row is None else _myna(row)

    def close(self) -> None:
        self._conn.close()


class PostgresReader:
    """One synchronous psycopg connection (autocommit, read-only, server-side prepared)."""

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self._conn = psycopg.connect(conninfo, autocommit=True, prepare_threshold=0)
        for statement in SESSION_SETTINGS:
            self._conn.execute(statement)
        self._sql = _pg_sql()

    def _all(self, name: str, params: tuple[Any, ...]) -> list[Any]:
        with self._conn.cursor() as cur:
            cur.execute(self._sql[name], params, prepare=True)  # type: ignore[call-overload]
            return cur.fetchall()

    def by_key(self, branch_code: str, symbol: str, number: str, branch_no: str) -> list[MemberRow]:
        return [_member(r) for r in self._all("key", (branch_code, symbol, number, branch_no))]

    def by_number(
        self, branch_code: str, number: str, branch_no: str, birth_date: date
    ) -> list[MemberRow]:
        rows = self._all("number", (birth_date, branch_code, number, branch_no))
        return [_member(r) for r in rows]

    def by_card(self, card_key: str) -> tuple[list[MemberRow], MynaRow | None]:
        return _card(self._all("card", (card_key,)))

    def has_newer(self, person_id: int, valid_from: date) -> bool:
        return bool(self._all("newer", (person_id, valid_from)))

    def insured(
        self, insured_person_id: int, branch_code: str, symbol: str, number: str
    ) -> InsuredRow | None:
        rows = self._all("insured", (branch_code, symbol, number, insured_person_id))
        return InsuredRow(rows[0][0], rows[0][1]) if rows else None

    def myna(self, person_id: int) -> MynaRow | None:
        rows = self._all("myna", (person_id,))
        return _myna(rows[0]) if rows else None

    def close(self) -> None:
        self._conn.close()


def _pg_sql() -> dict[str, str]:
    return {
        name: stmt.format(p="%s")
        for name, stmt in (
            ("key", SQL_BY_KEY),
            ("number", SQL_BY_NUMBER_PG),
            ("card", SQL_BY_CARD),
            ("newer", SQL_HAS_NEWER),
            ("insured", SQL_INSURED),
            ("myna", SQL_MYNA),
            ("keys", SQL_BY_KEYS),
        )
    }


class AsyncPostgresReader:
    """A small pool of psycopg async connections per worker (the event loop keeps serving
    while PostgreSQL answers). Same methods as the synchronous readers, awaited.

    ``by_key`` — nearly all the traffic — is coalesced: look-ups that arrive while a batch is
    in flight wait for it and go together in the next ``unnest`` statement (at most
    ``max_batch`` keys). At most ``key_batches`` batches are in flight at once (default one):
    each round trip costs PostgreSQL and psycopg far more than one more key in it, so one
    batch at a time gives the largest batches and the least CPU per look-up (bench/README.md:
    one batch in flight against eight, 105 against 128 µs a look-up, p99 12 against 22 ms).
    The other connections of the pool serve the other statements. When idle a look-up goes
    alone, without waiting."""

    def __init__(self, conninfo: str, *, size: int = 4, key_batches: int = 1) -> None:
        self._conninfo = conninfo
        self._size = size
        self._key_slots = asyncio.Semaphore(key_batches)
        self._free: asyncio.Queue[Any] = asyncio.Queue()
        self._conns: set[Any] = set()
        self._sql = _pg_sql()
        self._closing = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self._pending: list[tuple[tuple[str, str, str, str], asyncio.Future[list[MemberRow]]]] = []
        self._flushing = False
        self.max_batch = 256

    async def _connect(self) -> Any:
        import psycopg

        conn = await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, prepare_threshold=0
        )
        for statement in SESSION_SETTINGS:
            await conn.execute(statement)
        self._conns.add(conn)
        return conn

    async def open(self) -> None:
        for _ in range(self._size):
            self._free.put_nowait(await self._connect())

    async def _replace(self) -> None:
        delay = 0.1
        while not self._closing:
            try:
                self._free.put_nowait(await self._connect())
                return
            except Exception:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _query(self, conn: Any, name: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one statement on *conn* and give the connection back to the pool."""
        try:
            cur = await conn.execute(self._sql[name], params, prepare=True)
            rows: list[Any] = await cur.fetchall()
        except BaseException:
            # failed or cancelled mid-query: the connection's state is unknown; replace it
            self._conns.discard(conn)
            with contextlib.suppress(Exception):
                await conn.close()
            self._track(asyncio.ensure_future(self._replace()))
            raise
        self._free.put_nowait(conn)
        return rows

    async def _all(self, name: str, params: tuple[Any, ...]) -> list[Any]:
        return await self._query(await self._free.get(), name, params)

    def _track(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def by_key(
        self, branch_code: str, symbol: str, number: str, branch_no: str
    ) -> list[MemberRow]:
        future: asyncio.Future[list[MemberRow]] = asyncio.get_running_loop().create_future()
        self._pending.append(((branch_code, symbol, number, branch_no), future))
        if not self._flushing:
            self._flushing = True
            self._track(asyncio.ensure_future(self._flush_keys()))
        return await future

    async def _flush_keys(self) -> None:
        """Send the waiting look-ups in batches, as batch slots and connections come free."""
        try:
            while self._pending:
                # while a batch is in flight (or every connection busy) more look-ups queue up
                await self._key_slots.acquire()
                try:
                    conn = await self._free.get()
                except BaseException:
                    self._key_slots.release()
                    raise
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                self._track(asyncio.ensure_future(self._run_batch(conn, batch)))
        finally:
            self._flushing = False

    async def _run_batch(
        self,
        conn: Any,
        batch: list[tuple[tuple[str, str, str, str], asyncio.Future[list[MemberRow]]]],
    ) -> None:
        columns = tuple(list(c) for c in zip(*(key for key, _ in batch), strict=True))
        try:
            rows = await self._query(conn, "keys", columns)
        except Exception as err:
            for _, future in batch:
                if not future.done():
                    future.set_exception(err)
            return
        finally:
            self._key_slots.release()
        found: list[list[MemberRow]] = [[] for _ in batch]
        for r in rows:
            found[r[0] - 1].append(_member(r[1:]))
        for (_, future), members in zip(batch, found, strict=True):
            if not future.done():
                future.set_result(members)

    async def by_number(
        self, branch_code: str, number: str, branch_no: str, birth_date: date
    ) -> list[MemberRow]:
        rows = await self._all("number", (birth_date, branch_code, number, branch_no))
        return [_member(r) for r in rows]

    async def by_card(self, card_key: str) -> tuple[list[MemberRow], MynaRow | None]:
        return _card(await self._all("card", (card_key,)))

    async def has_newer(self, person_id: int, valid_from: date) -> bool:
        return bool(await self._all("newer", (person_id, valid_from)))

    async def insured(
        self, insured_person_id: int, branch_code: str, symbol: str, number: str
    ) -> InsuredRow | None:
        rows = await self._all("insured", (branch_code, symbol, number, insured_person_id))
        return InsuredRow(rows[0][0], rows[0][1]) if rows else None

    async def myna(self, person_id: int) -> MynaRow | None:
        rows = await self._all("myna", (person_id,))
        return _myna(rows[0]) if rows else None

    async def aclose(self) -> None:
        self._closing = True
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await conn.close()
        self._conns.clear()


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL, or None for another database (or an in-memory one)."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite":
        return None
    return u.database or None


def pg_conninfo(url: str) -> str:
    """A libpq connection string for a PostgreSQL SQLAlchemy URL."""
    u = make_url(normalise_url(url))
    parts = {
        "host": u.host,
        "port": u.port,
        "user": u.username,
        "password": u.password,
        "dbname": u.database,
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v not in (None, ""))


def reader_factory(url: str) -> Callable[[], EligibilityReader]:
    """A function opening a new synchronous reader for *url* (batches, SQLite serving)."""
    path = sqlite_path(url)
    if path is not None:
        return lambda: SqliteReader(path)
    info = pg_conninfo(url)
    return lambda: PostgresReader(info)


@dataclass(frozen=True, slots=True)
class InsurerBranch:
    """A 保険者番号 this installation answers for."""

    insurer_number: str
    branch_code: str
    name_ja: str  # 全国健康保険協会 東京支部
    name_en: str


@dataclass(frozen=True, slots=True)
class Directory:
    """保険者番号 → branch, and branch → 保険者番号 (47 rows, loaded once per worker)."""

    by_number: Mapping[str, InsurerBranch]
    by_branch: Mapping[str, InsurerBranch]


def load_directory(conn: Connection) -> Directory:
    """Read the insurer's branches."""
    rows = conn.execute(
        select(
            branch.c.insurer_number,
            branch.c.code,
            insurer.c.name_ja,
            branch.c.name_ja,
            insurer.c.name_en,
            branch.c.name_en,
        ).join(insurer, insurer.c.id == branch.c.insurer_id)
    ).all()
    items = [InsurerBranch(r[0], r[1], f"{r[2]} {r[3]}", f"{r[4]}, {r[5]}") for r in rows]
    return Directory(
        by_number={i.insurer_number: i for i in items},
        by_branch={i.branch_code: i for i in items},
    )
