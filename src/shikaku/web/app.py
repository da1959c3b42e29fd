"""The web application: one Starlette app mounting every feature's routes.

``create_app(app)`` takes the composition root's :class:`~shikaku.bootstrap.App`;
``create_app_from_env()`` is the factory each uvicorn worker process calls (``shikaku serve``
passes the settings through ``SHIKAKU_*`` environment variables).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from shikaku.bootstrap import App, build
from shikaku.config import load_settings
from shikaku.desk import views as desk_views
from shikaku.eligibility import api as eligibility_api
from shikaku.eligibility import batch as eligibility_batch
from shikaku.eligibility import fhir as eligibility_fhir
from shikaku.eligibility.metrics import AUDIT_PENDING
from shikaku.eligibility.openapi import openapi_document
from shikaku.eligibility.runtime import EligibilityRuntime, RuntimeOptions
from shikaku.mail import views as mail_views
from shikaku.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from shikaku.metrics import REGISTRY
from shikaku.web import reception
from shikaku.web.observability import AccessLog, Observability
from shikaku.web.routing import StaticFirstRouter

STATIC_DIR = Path(__file__).parent / "static"
#: Set by ``shikaku serve`` with several workers: where each publishes its metrics.
METRICS_DIR_ENV = "SHIKAKU_METRICS_DIR"

HELLO = orjson.dumps({"hello": "world"})


@dataclass
class WebOptions:
    """Serving options that are not policy."""

    access_log: str | None = "-"  # "-" stderr, a file path, or None/"off"
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)
    #: Serving processes: freeze the start-up heap and collect the young generation less often,
    #: so a full collection (tens of ms over the memoised caches) does not land in the p99.
    tune_gc: bool = False


_HELLO_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(HELLO)).encode()),
    ],
}


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    """The ceiling of the stack in benchmarks: same server, router and middleware as the
    look-ups (which are raw ASGI handlers too), and no work."""
    await send(_HELLO_START)
    await send({"type": "http.response.body", "body": HELLO})


async def healthz(_: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


async def metrics_endpoint(_: Request) -> Response:
    return Response(REGISTRY.exposition(), media_type=METRICS_CONTENT_TYPE)


async def _publish_metrics(rt: EligibilityRuntime, interval: float = 1.0) -> None:
    """Publish this worker's metrics for its siblings' ``/metrics`` (multi-worker serving)."""
    while True:
        await asyncio.sleep(interval)
        AUDIT_PENDING.set(rt.audit.pending)
        REGISTRY.publish()


class _Asgi:
    """Marks a coroutine function as a raw ASGI endpoint (Starlette would otherwise wrap a
    function in a Request/Response adapter)."""

    def __init__(self, fn: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.fn = fn

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.fn(scope, receive, send)


def create_app(app: App, *, options: WebOptions | None = None) -> Starlette:
    """Build the Starlette application for *app* (connections open in the lifespan)."""
    options = options or WebOptions()
    rt = EligibilityRuntime(app, options.runtime)
    access_log = AccessLog(options.access_log)
    spec = orjson.dumps(openapi_document())

    async def openapi(_: Request) -> Response:
        return Response(spec, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        shared = os.environ.get(METRICS_DIR_ENV)
        if shared:
            REGISTRY.shared_dir = Path(shared)
        await rt.open()
        if options.tune_gc:
            gc.collect()
            gc.freeze()
            gc.set_threshold(50_000, 20, 50)
        tasks = [asyncio.create_task(access_log.run()), asyncio.create_task(_publish_metrics(rt))]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await rt.close()
            access_log.close()
            REGISTRY.publish()

    routes: list[BaseRoute] = [
        *eligibility_api.routes(rt),
        *eligibility_batch.routes(rt),
        *eligibility_fhir.routes(rt),
        *reception.routes(rt),
        *desk_views.routes(rt),
        *mail_views.routes(app),
        Route("/hello", _Asgi(hello), methods=["GET"], name="hello"),
        Route("/healthz", healthz, name="healthz"),
        Route("/metrics", metrics_endpoint, name="metrics"),
        Route("/openapi.json", openapi, name="openapi"),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    web = Starlette(routes=routes, lifespan=lifespan)
    # The same routes, found by dictionary look-up where they have no parameters (the
    # middleware stack is built on the first request, so the swap happens before any).
    web.router = StaticFirstRouter(routes, lifespan=lifespan)
    web.state.runtime = rt
    web.add_middleware(
        Observability, access_log=access_log, client_key=eligibility_api.CLIENT_SCOPE_KEY
    )
    return web


def create_app_from_env() -> Starlette:
    """uvicorn factory for worker processes: settings from ``SHIKAKU_*`` variables."""
    settings = load_settings()
    env = os.environ
    runtime = RuntimeOptions(
        audit_process=env.get("SHIKAKU_AUDIT_PROCESS", "1") != "0",
        redis_url=env.get("SHIKAKU_REDIS_URL") or None,
        pg_connections=int(env.get("SHIKAKU_PG_CONNECTIONS", "0")) or RuntimeOptions.pg_connections,
        pg_key_batches=int(env.get("SHIKAKU_PG_KEY_BATCHES", "0")) or RuntimeOptions.pg_key_batches,
        audit_spill_dir=Path(env["SHIKAKU_AUDIT_SPILL_DIR"])
        if env.get("SHIKAKU_AUDIT_SPILL_DIR")
        else None,
    )
    access_log = env.get("SHIKAKU_ACCESS_LOG", "-")
    app = build(settings, migrate=False, create_key=False)
    return create_app(app, options=WebOptions(access_log=access_log, runtime=runtime, tune_gc=True))
