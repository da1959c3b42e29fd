"""Per-worker state of the eligibility API: the read connection, the insurer directory, the
key cache, the rate limiter and the audit writer. Opened in the app's lifespan (after the worker
process started) and closed there; closing flushes the audit queue.
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shikaku.bootstrap import App
from shikaku.clock import SystemClock
from shikaku.domain.ids.certificate_qr import derive_key
from shikaku.eligibility import metrics
from shikaku.eligibility.audit import (
    AuditWriter,
    Record,
    now_us,
    process_sink_factory,
    sink_factory,
)
from shikaku.eligibility.clients import Authenticator, Client
from shikaku.eligibility.ratelimit import RateLimiter, make_limiter
from shikaku.eligibility.repo import (
    AsyncPostgresReader,
    Directory,
    EligibilityReader,
    load_directory,
    pg_conninfo,
    reader_factory,
    sqlite_path,
)
from shikaku.eligibility.rules import EligibilityRules
from shikaku.eligibility.service import Answer


@dataclass
class RuntimeOptions:
    """Knobs of the serving process (defaults suit production; tests shrink them)."""

    audit_interval: float = 0.1
    audit_max_batch: int = 1000
    audit_spill_dir: Path | None = None
    key_cache_ttl: float = 30.0
    batch_max_rows: int = 10_000
    redis_url: str | None = None
    pg_connections: int = 4  # async connections per worker
    pg_key_batches: int = 1  # coalesced key look-ups in flight per worker
    #: Chain and insert audit rows in a writer process per worker (serving) instead of a
    #: thread of the worker (tests, single-process use).
    audit_process: bool = False


@dataclass
class EligibilityRuntime:
    """Everything a request handler needs; one per worker process."""

    app: App
    options: RuntimeOptions = field(default_factory=RuntimeOptions)
    rules: EligibilityRules = field(init=False)
    qr_key: bytes = field(init=False, repr=False)
    reader: EligibilityReader | None = field(init=False, default=None)
    async_reader: AsyncPostgresReader | None = field(init=False, default=None)
    open_reader: Callable[[], EligibilityReader] = field(init=False)
    directory: Directory = field(init=False)
    auth: Authenticator = field(init=False)
    limiter: RateLimiter = field(init=False)
    audit: AuditWriter = field(init=False)
    _ids: itertools.count[int] = field(init=False, repr=False)
    _today: date = field(init=False, repr=False, default=date.min)
    _today_until: float = field(init=False, repr=False, default=0.0)
    _id_prefix: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rules = EligibilityRules.from_policy(self.app.settings.policy)
        self.qr_key = derive_key(self.app.cipher.master_key)
        self._ids = itertools.count(1)
        self._id_prefix = f"{os.getpid() & 0xFFFF:04x}{secrets.token_hex(3)}"

    async def open(self) -> None:
        """Connect (call in the worker process). SQLite is read synchronously on the event
        loop (a look-up takes ~20 µs); PostgreSQL through a pool of async connections."""
        url = self.app.settings.database_url
        self.open_reader = reader_factory(url)
        if sqlite_path(url) is not None:
            self.reader = self.open_reader()
        else:
            self.async_reader = AsyncPostgresReader(
                pg_conninfo(url),
                size=self.options.pg_connections,
                key_batches=self.options.pg_key_batches,
            )
            await self.async_reader.open()
        with self.app.engine.connect() as conn:
            self.directory = load_directory(conn)
        self.auth = Authenticator(self.app.engine, ttl=self.options.key_cache_ttl)
        self.limiter = make_limiter(self.options.redis_url or self.app.settings.redis_url)
        opts = self.options
        connect = (
            process_sink_factory(
                url,
                interval=opts.audit_interval,
                max_batch=opts.audit_max_batch,
                spill_dir=opts.audit_spill_dir,
            )
            if opts.audit_process
            else sink_factory(url)
        )
        self.audit = AuditWriter(
            connect,
            interval=self.options.audit_interval,
            max_batch=self.options.audit_max_batch,
            spill_dir=self.options.audit_spill_dir,
            on_flush=metrics.on_audit_flush,
        )
        self.audit.start()

    async def close(self) -> None:
        """Flush the audit queue and disconnect."""
        self.audit.close()
        await self.limiter.close()
        if self.reader is not None:
            self.reader.close()
        if self.async_reader is not None:
            await self.async_reader.aclose()

    def today(self) -> date:
        """Today's date (JST). With the system clock it is read at most once a second."""
        if not isinstance(self.app.clock, SystemClock):
            return self.app.clock.today()
        now = time.monotonic()
        if now >= self._today_until:
            self._today = self.app.clock.today()
            self._today_until = now + 1.0
        return self._today

    def request_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids):x}"

    def record(
        self,
        client: Client,
        *,
        channel: str,
        request_id: str,
        outcome: str = "ok",
        membership_id: int | None = None,
        service_date: date | None = None,
        validity: int | None = None,
        document_kind: str | None = None,
        document_rule: str | None = None,
        acceptable: bool | None = None,
    ) -> None:
        """Queue one audit row (who, when, which member, what answer; never a name)."""
        rec: Record = (
            now_us(),
            client.id,
            client.institution_code,
            channel,
            request_id,
            membership_id,
            service_date,
            validity,
            document_kind,
            document_rule,
            acceptable,
            outcome,
        )
        self.audit.submit(rec)

    def record_answer(self, client: Client, channel: str, request_id: str, answer: Answer) -> None:
        """Queue the audit row of an answered look-up (:meth:`record`, spelled out for the hot
        path: no keyword arguments)."""
        coverage, doc = answer.coverage, answer.document
        self.audit.submit(
            (
                time.time_ns() // 1000,
                client.id,
                client.institution_code,
                channel,
                request_id,
                None if coverage is None else coverage.membership_id,
                answer.service_date,
                int(answer.validity),
                None if doc is None else str(doc.kind),
                None if doc is None else doc.rule,
                None if doc is None else doc.acceptable,
                "ok",
            )
        )
