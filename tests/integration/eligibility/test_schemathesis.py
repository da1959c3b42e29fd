"""A bounded schemathesis run against /openapi.json: no 5xx, and every response matches the
documented status codes, content types and schemas."""

from __future__ import annotations

from datetime import date
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shikaku.web.app import WebOptions, create_app

from .conftest import Env

MAX_EXAMPLES = 40


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_api_conforms_and_never_fails(env: Env) -> None:
    # schemathesis' pytest plugin does not support pytest 9 yet (request.node._nodeid), so each
    # operation runs as a plain Hypothesis test over schemathesis' case strategy.
    env.registry.member(birth=date(1980, 5, 10), myna={"card_key": "abc"})
    web = create_app(env.app, options=WebOptions(access_log=None))
    schema = schemathesis.openapi.from_asgi("/openapi.json", web)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=env.headers, checks=CHECKS)
            calls.append(response.status_code)

        run()
    assert calls and max(calls) < 500
