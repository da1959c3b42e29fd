"""Per-route Prometheus metrics and structured access logs, as one pure ASGI middleware.

Access-log lines are JSON: time, method, route *template* (``/api/v1/eligibility``, never the
query string, which holds names and dates of birth), status, duration, client id, request id.
Lines are buffered and written in blocks (flushed every ``interval`` seconds and at shutdown)
so logging costs a few microseconds per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shikaku.metrics import REGISTRY

REQUESTS = REGISTRY.counter(
    "shikaku_http_requests_total",
    "HTTP requests by route template, method and status",
    ["route", "method", "status"],
)
LATENCY = REGISTRY.histogram(
    "shikaku_http_request_duration_seconds", "HTTP request duration by route template", ["route"]
)

UNMATCHED = "<unmatched>"


class AccessLog:
    """Buffered JSON-lines writer to a file descriptor (stderr by default) or nowhere."""

    def __init__(self, target: str | None = "-", *, max_buffer: int = 64 * 1024) -> None:
        self._file: IO[bytes] | None = None
        self._fd: int | None
        if target in (None, "off", ""):
            self._fd = None
        elif target == "-":
            self._fd = sys.stderr.fileno()
        else:
            self._file = open(target, "ab")  # noqa: SIM115 - closed in close()
            self._fd = self._file.fileno()
        self._buf: list[bytes] = []
        self._size = 0
        self._max = max_buffer

    @property
    def enabled(self) -> bool:
        return self._fd is not None

    def write(self, entry: dict[str, Any]) -> None:
        line = orjson.dumps(entry) + b"\n"
        self._buf.append(line)
        self._size += len(line)
        if self._size >= self._max:
            self.flush()

    def flush(self) -> None:
        if self._fd is None or not self._buf:
            return
        data = b"".join(self._buf)
        self._buf.clear()
        self._size = 0
        with contextlib.suppress(OSError):
            os.write(self._fd, data)

    async def run(self, interval: float = 0.5) -> None:
        """Flush periodically (a task started in the lifespan)."""
        while True:
            await asyncio.sleep(interval)
            self.flush()

    def close(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()
            self._file = None
            self._fd = None


class Observability:
    """ASGI middleware: metrics per route template and one access-log line per request."""

    def __init__(self, app: ASGIApp, access_log: AccessLog, client_key: str) -> None:
        self.app = app
        self.access_log = access_log
        self.client_key = client_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = scope["method"]
            REQUESTS.inc((template, method, str(status)))
            LATENCY.observe(elapsed, (template,))
            if self.access_log.enabled:
                self.access_log.write(
                    {
                        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "method": method,
                        "route": template,
                        "status": status,
                        "ms": round(elapsed * 1000, 3),
                        "client": scope.get(self.client_key),
                    }
                )
