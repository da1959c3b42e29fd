"""Append-only, hash-chained audit log of eligibility queries, written off the request path.

A request only appends a tuple to an in-memory queue. A background thread flushes the queue
every ``interval`` seconds or as soon as ``max_batch`` rows wait, in one transaction per batch:
it takes the chain lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a transaction-scoped advisory
lock, so every worker process appends to one chain), reads the head, and inserts the rows with

    hash = sha256(prev_hash + RS + canonical(row))

``close()`` (called from the app's lifespan shutdown) stops the thread and flushes what is left;
if the database is unreachable even then, the rows go to a JSON-lines spill file that
``shikaku audit replay`` loads later, so a graceful shutdown never loses a row.

:func:`verify_chain` walks the chain and reports edited rows (content no longer matches its
hash), deleted rows (a gap in ``seq``), and broken links (a row edited and re-hashed, which
breaks the next row's ``prev_hash``). Truncating the tail leaves a valid shorter chain: compare
against an anchor (a ``seq:hash`` recorded earlier, see ``shikaku audit head``) to detect it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, select

from shikaku.eligibility.repo import pg_conninfo, sqlite_path
from shikaku.eligibility.tables import eligibility_audit

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_RS = "\x1e"
_US = "\x1f"
#: pg_advisory_xact_lock key of the chain ("SHKAUDIT" as an integer).
PG_LOCK_KEY = int.from_bytes(b"SHKAUDIT", "big") & 0x7FFF_FFFF_FFFF_FFFF
DEFAULT_INTERVAL = 0.1
DEFAULT_MAX_BATCH = 1000

#: Column order of a queued record (seq, prev_hash and hash are added when flushing). ``at`` is
#: queued as integer microseconds since the Unix epoch (UTC): cheap to take on the request path,
#: exact to hash, and converted to the ``at`` timestamp column only when written.
RECORD_FIELDS = (
    "at",
    "client_id",
    "institution_code",
    "channel",
    "request_id",
    "membership_id",
    "service_date",
    "validity",
    "document_kind",
    "document_rule",
    "acceptable",
    "outcome",
)
# (at_us, client_id, institution_code, channel, request_id, membership_id, service_date,
#  validity, document_kind, document_rule, acceptable, outcome)
Record = tuple[
    int,
    int,
    str,
    str,
    str,
    int | None,
    date | None,
    int | None,
    str | None,
    str | None,
    bool | None,
    str,
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def now_us() -> int:
    """Current time as integer microseconds since the epoch."""
    return time.time_ns() // 1000


def to_us(at: datetime) -> int:
    """A stored timestamp back to epoch microseconds (naive values, as SQLite returns them,
    are UTC)."""
    if at.tzinfo is None:
        return (at - _EPOCH_NAIVE) // _MICROSECOND
    return (at - _EPOCH) // _MICROSECOND


def from_us(us: int) -> datetime:
    """Epoch microseconds as an aware UTC datetime (exact, no float rounding)."""
    return _EPOCH + timedelta(microseconds=us)


def _text(value: object) -> str:
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)  # int, str, date (ISO)


def canonical(seq: int, rec: Sequence[Any]) -> str:
    """The row as the hash covers it: every field, in a fixed order and spelling."""
    return _US.join([str(seq), *map(_text, rec)])


def chain_hash(prev_hash: str, seq: int, rec: Sequence[Any]) -> str:
    return hashlib.sha256((prev_hash + _RS + canonical(seq, rec)).encode("utf-8")).hexdigest()


class AuditSink(Protocol):
    """Appends a batch to the chain in one transaction."""

    def append(self, records: Sequence[Record]) -> None: ...

    def close(self) -> None: ...


_COLUMNS = ("seq", *RECORD_FIELDS, "prev_hash", "hash")
_INSERT = "INSERT INTO eligibility_audit ({}) VALUES {}"
_SQLITE_CHUNK = 500  # 500 rows × 15 columns, well under SQLite's 32,766 variables


def _fast_canonical(seq: int, rec: Record) -> str:
    """:func:`canonical` for a queued record, spelled out (the writer's inner loop); a unit
    test checks that both agree."""
    at, client, inst, channel, rid, mid, day, validity, kind, rule, acceptable, outcome = rec
    return (
        f"{seq}\x1f{at}\x1f{client}\x1f{inst}\x1f{channel}\x1f{rid}\x1f"
        f"{'' if mid is None else mid}\x1f{'' if day is None else day}\x1f"
        f"{'' if validity is None else validity}\x1f{kind or ''}\x1f{rule or ''}\x1f"
        f"{'' if acceptable is None else ('1' if acceptable else '0')}\x1f{outcome}"
    )


def _chained(head: tuple[int, str] | None, records: Sequence[Record]) -> Iterator[tuple[Any, ...]]:
    seq, prev = head if head else (0, GENESIS)
    sha256 = hashlib.sha256
    for rec in records:
        seq += 1
        h = sha256(f"{prev}{_RS}{_fast_canonical(seq, rec)}".encode()).hexdigest()
        yield (seq, *rec, prev, h)
        prev = h


class _SqliteTime:
    """Epoch microseconds → SQLAlchemy's SQLite DATETIME text (UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``).

    The rows of a batch fall within a second or two of each other, so the date-and-time part is
    formatted once per second and only the microseconds per row (0.3 µs against 1.0 µs for a
    datetime per row, in the writer's inner loop)."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, us: int) -> str:
        second, micro = divmod(us, 1_000_000)
        if second != self._second:
            self._prefix = (_EPOCH_NAIVE + timedelta(seconds=second)).isoformat(sep=" ")
            self._second = second
        return f"{self._prefix}.{micro:06d}"


class SqliteSink:
    """Writes with ``BEGIN IMMEDIATE`` so concurrent writers queue on SQLite's write lock."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._row = "(" + ", ".join("?" * len(_COLUMNS)) + ")"
        self._sql: dict[int, str] = {}
        self._time = _SqliteTime()

    def _multi(self, n: int) -> str:
        sql = self._sql.get(n)
        if sql is None:
            sql = self._sql[n] = _INSERT.format(", ".join(_COLUMNS), ", ".join([self._row] * n))
        return sql

    def append(self, records: Sequence[Record]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            head = conn.execute(
                "SELECT seq, hash FROM eligibility_audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            at = self._time
            rows = [(r[0], at(r[1]), *r[2:]) for r in _chained(head, records)]
            for start in range(0, len(rows), _SQLITE_CHUNK):
                chunk = rows[start : start + _SQLITE_CHUNK]
                # One multi-row INSERT per chunk: one step, one GIL hand-off, instead of one
                # per row (executemany), which matters while the event loop thread is busy.
                conn.execute(self._multi(len(chunk)), [v for row in chunk for v in row])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._conn.close()


class PostgresSink:
    """Writes with COPY under a transaction-scoped advisory lock (one chain across every
    process)."""

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self._conn = psycopg.connect(conninfo, autocommit=False)
        self._copy = f"COPY eligibility_audit ({', '.join(_COLUMNS)}) FROM STDIN"

    def append(self, records: Sequence[Record]) -> None:
        conn = self._conn
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (PG_LOCK_KEY,))
            cur.execute("SELECT seq, hash FROM eligibility_audit ORDER BY seq DESC LIMIT 1")
            head = cur.fetchone()
            with cur.copy(self._copy) as copy:  # type: ignore[arg-type]
                for row in _chained(head, records):
                    copy.write_row((row[0], from_us(row[1]), *row[2:]))

    def close(self) -> None:
        self._conn.close()


def sink_factory(url: str) -> Callable[[], AuditSink]:
    """A function opening the audit sink for a database URL."""
    path = sqlite_path(url)
    if path is not None:
        return lambda: SqliteSink(path)
    info = pg_conninfo(url)
    return lambda: PostgresSink(info)


# --- a writer process per serving worker ---------------------------------------------------------
#
# Hashing and inserting ~10,000 rows a second in a thread of the serving process competes with
# the event loop for the GIL: profiled, the thread cost twice its own work. Under `shikaku serve`
# each worker therefore hands its batches (orjson over a pipe, ~1 µs a row) to its own writer
# process, which chains and inserts them with an ordinary AuditWriter. The child ignores SIGINT
# and SIGTERM and stops only on the worker's stop marker or when the pipe closes, so a Ctrl-C
# cannot kill it before the worker has handed over its last rows.

_STOP = b""
_PIPE_BYTES = 1 << 20  # Linux F_SETPIPE_SZ: a whole batch fits, send() rarely blocks


def _writer_process(
    conn: Any, url: str, interval: float, max_batch: int, spill_dir: str | None
) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    writer = AuditWriter(
        sink_factory(url),
        interval=interval,
        max_batch=max_batch,
        spill_dir=Path(spill_dir) if spill_dir else None,
    )
    writer.start()
    try:
        while True:
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                break  # the worker is gone: write what we have
            if data == _STOP:
                break
            # JSON gives the date back as ISO text and the rest as themselves; the canonical
            # form and both databases take ISO text for a date
            writer.submit_many(map(tuple, orjson.loads(data)))  # type: ignore[arg-type]
    finally:
        writer.close()


class ProcessSink:
    """An :class:`AuditSink` that forwards batches to a writer process (see above)."""

    def __init__(
        self, url: str, *, interval: float, max_batch: int, spill_dir: Path | None
    ) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        reader, self._conn = ctx.Pipe(duplex=False)
        with contextlib.suppress(Exception):
            import fcntl

            fcntl.fcntl(self._conn.fileno(), 1031, _PIPE_BYTES)  # F_SETPIPE_SZ
        self._process = ctx.Process(
            target=_writer_process,
            args=(reader, url, interval, max_batch, str(spill_dir) if spill_dir else None),
            name="shikaku-audit-writer",
        )
        self._process.start()
        reader.close()

    def append(self, records: Sequence[Record]) -> None:
        if not self._process.is_alive():
            raise ConnectionError("audit writer process is gone")
        self._conn.send_bytes(orjson.dumps(list(records)))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send_bytes(_STOP)
        self._conn.close()
        self._process.join(timeout=60)
        if self._process.exitcode is None:
            log.error("audit writer process did not stop; terminating it")
            self._process.terminate()
        elif self._process.exitcode != 0:
            log.error("audit writer process exited with %s", self._process.exitcode)


def process_sink_factory(
    url: str, *, interval: float, max_batch: int, spill_dir: Path | None
) -> Callable[[], AuditSink]:
    """Open a :class:`ProcessSink` (a new writer process) for *url*."""
    return lambda: ProcessSink(url, interval=interval, max_batch=max_batch, spill_dir=spill_dir)


@dataclass
class AuditStats:
    written: int = 0
    batches: int = 0
    failures: int = 0
    spilled: int = 0


class AuditWriter:
    """Queue in memory, flush in a background thread, never drop on a graceful close."""

    def __init__(
        self,
        connect: Callable[[], AuditSink],
        *,
        interval: float = DEFAULT_INTERVAL,
        max_batch: int = DEFAULT_MAX_BATCH,
        spill_dir: Path | None = None,
        on_flush: Callable[[int, float], None] | None = None,
    ) -> None:
        self._connect = connect
        self._sink: AuditSink | None = None
        self._queue: deque[Record] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one flush at a time (thread vs. close/flush())
        self.interval = interval
        self.max_batch = max_batch
        self.spill_dir = spill_dir
        self.stats = AuditStats()
        self._on_flush = on_flush

    def submit(self, record: Record) -> None:
        """Queue one record (cheap: called on the request path)."""
        self._queue.append(record)
        if len(self._queue) >= self.max_batch:
            self._wake.set()

    def submit_many(self, records: Iterable[Record]) -> None:
        """Queue several records at once (the writer process, a batch from the pipe)."""
        self._queue.extend(records)
        if len(self._queue) >= self.max_batch:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        backoff = self.interval
        while not self._stop.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            if self._stop.is_set():
                break
            ok = self.flush()
            backoff = self.interval if ok else min(backoff * 2, 5.0)

    def flush(self) -> bool:
        """Write everything queued now; False (rows kept) if the database refused."""
        with self._lock:
            while self._queue:
                batch: list[Record] = []
                while self._queue and len(batch) < self.max_batch:
                    batch.append(self._queue.popleft())
                started = time.perf_counter()
                try:
                    if self._sink is None:
                        self._sink = self._connect()
                    self._sink.append(batch)
                except Exception:
                    log.exception("audit flush failed; %d rows kept for retry", len(batch))
                    self.stats.failures += 1
                    self._queue.extendleft(reversed(batch))
                    self._reset_sink()
                    return False
                self.stats.written += len(batch)
                self.stats.batches += 1
                if self._on_flush is not None:
                    self._on_flush(len(batch), time.perf_counter() - started)
            return True

    def _reset_sink(self) -> None:
        if self._sink is not None:
            with contextlib.suppress(Exception):  # best effort: the connection may be gone
                self._sink.close()
            self._sink = None

    def close(self, *, attempts: int = 3) -> None:
        """Stop the thread and flush the rest; spill to a file as the last resort."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        for attempt in range(attempts):
            if self.flush():
                break
            time.sleep(0.2 * (attempt + 1))
        if self._queue:
            self._spill()
        self._reset_sink()

    def _spill(self) -> None:
        directory = self.spill_dir or Path.cwd()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"eligibility-audit-spill-{os.getpid()}-{time.time_ns()}.jsonl"
        rows = list(self._queue)
        self._queue.clear()
        with path.open("wb") as f:
            for rec in rows:
                f.write(orjson.dumps(dict(zip(RECORD_FIELDS, rec, strict=True))) + b"\n")
        self.stats.spilled += len(rows)
        log.error("audit database unreachable: %d rows spilled to %s", len(rows), path)


def read_spill(path: Path) -> list[Record]:
    """Records of a spill file (for ``shikaku audit replay``)."""
    out: list[Record] = []
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        d = orjson.loads(line)
        out.append(
            (
                int(d["at"]),
                int(d["client_id"]),
                d["institution_code"],
                d["channel"],
                d["request_id"],
                d["membership_id"],
                None if d["service_date"] is None else date.fromisoformat(d["service_date"]),
                d["validity"],
                d["document_kind"],
                d["document_rule"],
                d["acceptable"],
                d["outcome"],
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int
    kind: str  # deleted | edited | broken-link | anchor
    detail: str


@dataclass
class VerifyReport:
    rows: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(conn: Connection, batch: int) -> Iterable[Any]:
    stmt = select(eligibility_audit).order_by(eligibility_audit.c.seq)
    return conn.execution_options(yield_per=batch).execute(stmt)


def verify_chain(
    conn: Connection,
    *,
    anchor: tuple[int, str] | None = None,
    max_problems: int = 100,
    batch: int = 10_000,
) -> VerifyReport:
    """Walk the whole chain; report what does not add up (at most *max_problems*)."""
    report = VerifyReport()
    expected_seq, expected_prev = 1, GENESIS
    anchor_seen = False

    def problem(seq: int, kind: str, detail: str) -> None:
        if len(report.problems) < max_problems:
            report.problems.append(Problem(seq, kind, detail))

    for row in _rows(conn, batch):
        m = row._mapping
        seq = int(m["seq"])
        gap = seq != expected_seq
        if gap:
            first, last = expected_seq, seq - 1
            span = f"{first}" if first == last else f"{first}..{last}"
            problem(seq, "deleted", f"row(s) {span} missing before row {seq}")
        elif m["prev_hash"] != expected_prev:
            problem(
                seq,
                "broken-link",
                f"row {seq} does not link to row {seq - 1} (row {seq - 1} was changed and "
                "re-hashed, or rows were replaced)",
            )
        rec = (to_us(m["at"]), *(m[name] for name in RECORD_FIELDS[1:]))
        if chain_hash(m["prev_hash"], seq, rec) != m["hash"]:
            problem(seq, "edited", f"row {seq} content does not match its hash")
        if anchor is not None and seq == anchor[0]:
            anchor_seen = True
            if m["hash"] != anchor[1]:
                problem(seq, "anchor", f"row {seq} hash differs from the anchor")
        report.rows += 1
        report.head_seq, report.head_hash = seq, m["hash"]
        expected_seq, expected_prev = seq + 1, m["hash"]
    if anchor is not None and not anchor_seen:
        problem(
            anchor[0],
            "deleted",
            f"anchored row {anchor[0]} is missing (the tail was truncated?)",
        )
    return report


def head(conn: Connection) -> tuple[int, str]:
    """The last row's ``(seq, hash)`` — record it elsewhere as an anchor."""
    row = conn.execute(
        select(eligibility_audit.c.seq, eligibility_audit.c.hash)
        .order_by(eligibility_audit.c.seq.desc())
        .limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
