"""JSON API v1 (Starlette routes, no framework validation layer: the hot path stays lean).

    GET|POST /api/v1/eligibility        by 保険者番号 + 記号 + 番号 + 枝番 + 生年月日
    GET|POST /api/v1/eligibility/myna   by Myna card (opaque card key)
    GET|POST /api/v1/eligibility/qr     by the QR code of a 資格確認書
    POST     /api/v1/eligibility/batch  一括照会: CSV in, CSV out (shikaku.eligibility.batch)

Errors are RFC 9457 problem+json with a ``rule_id`` (and every field error in ``errors``).
Authentication: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import unquote_plus

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Send
from starlette.types import Scope as ASGIScope

from shikaku.eligibility import metrics
from shikaku.eligibility.clients import Client
from shikaku.eligibility.codes import Channel, Scope
from shikaku.eligibility.inputs import (
    CardQuery,
    InvalidQuery,
    NumberQuery,
    parse_card_query,
    parse_number_query,
    parse_qr_query,
)
from shikaku.eligibility.present import answer_json
from shikaku.eligibility.ratelimit import LocalLimiter
from shikaku.eligibility.runtime import EligibilityRuntime
from shikaku.eligibility.service import Answer, card_steps, eligibility_steps, run, run_async

JSON = "application/json"
PROBLEM = "application/problem+json"
PROBLEM_BASE = "urn:shikaku:problem:"
CLIENT_SCOPE_KEY = "shikaku.client_id"  # read by the access log


class Refusal(Exception):
    """The request is refused before it is answered (401, 403, 429, 400, 413, 415)."""

    def __init__(
        self,
        status: int,
        rule_id: str,
        message_ja: str,
        message_en: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(rule_id)
        self.status = status
        self.rule_id = rule_id
        self.message_ja = message_ja
        self.message_en = message_en
        self.headers = dict(headers or {})


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
}


def problem(
    status: int,
    rule_id: str,
    message_ja: str,
    message_en: str,
    *,
    instance: str,
    request_id: str | None = None,
    errors: list[dict[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + rule_id.split(".", 1)[0],
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": message_en,
        "instance": instance,
        "rule_id": rule_id,
        "message_ja": message_ja,
        "message_en": message_en,
    }
    if request_id is not None:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM)


def refusal_response(r: Refusal, request: Request) -> Response:
    return problem(
        r.status,
        r.rule_id,
        r.message_ja,
        r.message_en,
        instance=request.url.path,
        headers=r.headers,
    )


def invalid_response(err: InvalidQuery, request: Request, request_id: str) -> Response:
    first = err.errors[0]
    return problem(
        422,
        first.rule_id,
        first.message_ja,
        first.message_en,
        instance=request.url.path,
        request_id=request_id,
        errors=[e.as_dict() for e in err.errors],
    )


def api_key(scope: ASGIScope) -> str | None:
    """``Authorization: Bearer <key>``, else ``X-API-Key: <key>`` (raw scope headers: the
    hot path need not build a Headers object)."""
    other = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
        if name == b"x-api-key":
            other = value.decode("latin-1").strip()
    return other or None


def parse_query_string(raw: bytes) -> dict[str, str]:
    """``a=1&b=%E3%81%82`` → dict (first value wins); unquotes only what needs it."""
    out: dict[str, str] = {}
    if not raw:
        return out
    text = raw.decode("utf-8", "replace")
    plain = "%" not in text and "+" not in text  # the usual case: nothing to unquote
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if not plain:
            if "%" in value or "+" in value:
                value = unquote_plus(value)
            if "%" in name or "+" in name:
                name = unquote_plus(name)
        if name not in out:
            out[name] = value
    return out


async def admit(rt: EligibilityRuntime, request: Request | ASGIScope, scope: Scope) -> Client:
    """Authenticate, authorise and rate-limit; raise :class:`Refusal` otherwise. *request* is a
    Starlette request or, on the look-up hot path, the raw ASGI scope."""
    asgi = request.scope if isinstance(request, Request) else request
    key = api_key(asgi)
    client = rt.auth.authenticate(key) if key else None
    if client is None:
        metrics.count_refused("unauthenticated")
        raise Refusal(
            401,
            "auth.unauthenticated",
            "APIキーがないか、正しくありません。",
            "The API key is missing or not valid.",
            headers={"WWW-Authenticate": 'Bearer realm="shikaku"'},
        )
    asgi[CLIENT_SCOPE_KEY] = client.id
    if scope not in client.scopes:
        metrics.count_refused("forbidden")
        raise Refusal(
            403,
            "auth.scope",
            f"このAPIキーには「{scope}」の権限がありません。",
            f"This API key does not have the '{scope}' scope.",
        )
    limiter = rt.limiter
    if isinstance(limiter, LocalLimiter):  # skip a coroutine round for the in-process limiter
        decision = limiter.hit_now(client.id, client.rate_per_second, client.burst)
    else:
        decision = await limiter.hit(str(client.id), client.rate_per_second, client.burst)
    if not decision.allowed:
        metrics.count_refused("rate_limited")
        raise Refusal(
            429,
            "rate_limit.exceeded",
            "照会回数の上限を超えました。しばらく待ってから再度照会してください。",
            "Too many requests. Retry after the time given in Retry-After.",
            headers={"Retry-After": decision.retry_after_header},
        )
    return client


async def read_params(request: Request) -> Mapping[str, Any]:
    """Query string for GET; a JSON object (or an url-encoded form) for POST."""
    if request.method == "GET":
        return parse_query_string(request.scope["query_string"])
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return parse_query_string(await request.body())
    body = await request.body()
    try:
        data = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise Refusal(
            400,
            "request.malformed",
            "リクエスト本文がJSONオブジェクトではありません。",
            "The request body is not a JSON object.",
        )
    return data


def audit_answer(
    rt: EligibilityRuntime, client: Client, answer: Answer, request_id: str, channel: str
) -> None:
    rt.record_answer(client, channel, request_id, answer)
    metrics.count_answer(channel, answer.validity)


Parser = Callable[[EligibilityRuntime, Mapping[str, Any], date], "NumberQuery | CardQuery"]


def _parse_numbers(rt: EligibilityRuntime, data: Mapping[str, Any], today: date) -> NumberQuery:
    return parse_number_query(data, today=today, rules=rt.rules)


def _parse_card(rt: EligibilityRuntime, data: Mapping[str, Any], today: date) -> CardQuery:
    return parse_card_query(data, today=today, rules=rt.rules)


def _parse_qr(rt: EligibilityRuntime, data: Mapping[str, Any], today: date) -> NumberQuery:
    return parse_qr_query(data, today=today, rules=rt.rules, qr_key=rt.qr_key)


async def answer_query(
    rt: EligibilityRuntime,
    query: NumberQuery | CardQuery,
    channel: Channel,
    today: date | None = None,
) -> Answer:
    """Run the use case for a parsed query (shared by the JSON, FHIR and page adapters)."""
    if today is None:
        today = rt.today()
    steps = (
        card_steps(query, directory=rt.directory, rules=rt.rules, today=today)
        if isinstance(query, CardQuery)
        else eligibility_steps(
            query, directory=rt.directory, rules=rt.rules, today=today, channel=channel
        )
    )
    if rt.reader is not None:
        return run(steps, rt.reader)
    return await run_async(steps, rt.async_reader)


_NO_STORE = (b"cache-control", b"no-store")
_JSON_TYPE = (b"content-type", b"application/json")


class LookupEndpoint:
    """One look-up route as a plain ASGI app: no framework Request/Response on the success
    path, which is most of the traffic (errors use Starlette responses)."""

    def __init__(self, rt: EligibilityRuntime, parse: Parser, channel: Channel) -> None:
        self.rt = rt
        self.parse = parse
        self.channel = channel

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        rt, channel = self.rt, self.channel
        try:
            client = await admit(rt, scope, Scope.ELIGIBILITY)
        except Refusal as r:
            await refusal_response(r, Request(scope, receive))(scope, receive, send)
            return
        request_id = rt.request_id()
        today = rt.today()
        try:
            if scope["method"] == "GET":
                data: Mapping[str, Any] = parse_query_string(scope["query_string"])
            else:
                data = await read_params(Request(scope, receive))
            query = self.parse(rt, data, today)
        except Refusal as r:
            rt.record(client, channel=channel, request_id=request_id, outcome=r.rule_id)
            await refusal_response(r, Request(scope, receive))(scope, receive, send)
            return
        except InvalidQuery as err:
            metrics.count_refused("invalid")
            rt.record(client, channel=channel, request_id=request_id, outcome=err.rule_id)
            response = invalid_response(err, Request(scope, receive), request_id)
            await response(scope, receive, send)
            return
        answer = await answer_query(rt, query, channel, today)
        audit_answer(rt, client, answer, request_id, channel)
        body = orjson.dumps(answer_json(answer, query, request_id=request_id))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    _JSON_TYPE,
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                    _NO_STORE,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def routes(rt: EligibilityRuntime) -> list[Route]:
    """The JSON API routes (the batch route is added by shikaku.eligibility.batch)."""
    methods = ["GET", "POST"]
    return [
        Route(
            "/api/v1/eligibility",
            LookupEndpoint(rt, _parse_numbers, Channel.NUMBERS),
            methods=methods,
            name="eligibility",
        ),
        Route(
            "/api/v1/eligibility/myna",
            LookupEndpoint(rt, _parse_card, Channel.MYNA),
            methods=methods,
            name="eligibility-myna",
        ),
        Route(
            "/api/v1/eligibility/qr",
            LookupEndpoint(rt, _parse_qr, Channel.QR),
            methods=methods,
            name="eligibility-qr",
        ),
    ]


__all__ = [
    "LookupEndpoint",
    "Refusal",
    "admit",
    "answer_query",
    "problem",
    "read_params",
    "routes",
]
