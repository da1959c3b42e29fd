"""Clients, API keys, scopes and rate limits (in-process and Redis)."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import select

from shikaku.eligibility.clients import do_create_client, do_revoke_client, hash_key
from shikaku.eligibility.runtime import RuntimeOptions
from shikaku.eligibility.tables import eligibility_client
from shikaku.web.app import WebOptions, create_app

from .conftest import TOKYO, Env, TestClient

PARAMS = {"insurer_number": TOKYO, "number": "1", "branch": "00", "birth_date": "1980-05-10"}
PATHS = ["/api/v1/eligibility", "/api/v1/eligibility/myna?card_key=x", "/api/v1/eligibility/qr"]


@pytest.mark.parametrize("path", PATHS)
def test_no_key_is_401(env: Env, path: str) -> None:
    res = env.http.get(path, params=PARAMS)
    assert res.status_code == 401
    assert res.headers["www-authenticate"].startswith("Bearer")
    assert res.headers["content-type"] == "application/problem+json"
    assert res.json()["rule_id"] == "auth.unauthenticated"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer skk_wrong"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": "skk_nope"},
        {"Authorization": "Bearer "},
    ],
)
def test_wrong_key_is_401(env: Env, headers: dict[str, str]) -> None:
    assert env.http.get("/api/v1/eligibility", params=PARAMS, headers=headers).status_code == 401


def test_x_api_key_header_works(env: Env) -> None:
    res = env.http.get("/api/v1/eligibility", params=PARAMS, headers={"X-API-Key": env.key})
    assert res.status_code == 200


def test_key_is_stored_hashed(env: Env) -> None:
    with env.engine.connect() as conn:
        rows = conn.execute(select(eligibility_client)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["key_hash"] == hash_key(env.key)
    assert env.key not in str(dict(rows[0]))


def test_wrong_scope_is_403(env: Env) -> None:
    with env.engine.begin() as conn:
        _, batch_only = do_create_client(
            conn,
            at=env.clock.now(),
            institution_code="1312345679",
            name="一括のみ",
            scopes=("batch",),
        )
    res = env.http.get(
        "/api/v1/eligibility", params=PARAMS, headers={"Authorization": f"Bearer {batch_only}"}
    )
    assert res.status_code == 403 and res.json()["rule_id"] == "auth.scope"
    res = env.http.post(
        "/fhir/R4/CoverageEligibilityRequest/$submit",
        json={"resourceType": "CoverageEligibilityRequest"},
        headers={"Authorization": f"Bearer {batch_only}"},
    )
    assert res.status_code == 403
    assert res.json()["resourceType"] == "OperationOutcome"
    assert res.json()["issue"][0]["code"] == "forbidden"


def test_revoked_key_stops_working(env: Env) -> None:
    with env.engine.begin() as conn:
        client, key = do_create_client(
            conn, at=env.clock.now(), institution_code="1312345670", name="閉院予定"
        )
    headers = {"Authorization": f"Bearer {key}"}
    assert env.http.get("/api/v1/eligibility", params=PARAMS, headers=headers).status_code == 200
    with env.engine.begin() as conn:
        assert do_revoke_client(conn, at=env.clock.now(), client_id=client.id)
    env.http.app.state.runtime.auth._cache.clear()  # type: ignore[attr-defined]  # TTL elapsed
    assert env.http.get("/api/v1/eligibility", params=PARAMS, headers=headers).status_code == 401


def test_institution_code_is_validated(env: Env) -> None:
    from shikaku.domain.errors import ValidationError

    with env.engine.begin() as conn, pytest.raises(ValidationError) as err:
        do_create_client(conn, at=env.clock.now(), institution_code="99123", name="x")
    assert err.value.rule_id == "institution_code.format"
    with env.engine.begin() as conn, pytest.raises(ValidationError) as err:
        do_create_client(conn, at=env.clock.now(), institution_code="4812345678", name="x")
    assert err.value.rule_id == "institution_code.component"


def _limited_client(env: Env, rate: int, burst: int) -> dict[str, str]:
    with env.engine.begin() as conn:
        _, key = do_create_client(
            conn,
            at=env.clock.now(),
            institution_code="1312345671",
            name="小さな医院",
            rate_per_second=rate,
            burst=burst,
        )
    return {"Authorization": f"Bearer {key}"}


def test_rate_limit_in_process(env: Env) -> None:
    headers = _limited_client(env, rate=1, burst=3)
    codes = [
        env.http.get("/api/v1/eligibility", params=PARAMS, headers=headers).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    res = env.http.get("/api/v1/eligibility", params=PARAMS, headers=headers)
    assert res.status_code == 429
    assert res.json()["rule_id"] == "rate_limit.exceeded"
    assert int(res.headers["retry-after"]) >= 1
    # other clients are not affected
    assert (
        env.http.get("/api/v1/eligibility", params=PARAMS, headers=env.headers).status_code == 200
    )


REDIS_URL = os.environ.get("SHIKAKU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis at SHIKAKU_TEST_REDIS_URL")
def test_rate_limit_in_redis_is_shared_between_workers(env: Env) -> None:
    headers = _limited_client(env, rate=1, burst=4)
    prefix = f"shikaku:test:{uuid.uuid4().hex}:"
    apps = []
    for _ in range(2):  # two "workers", one bucket
        web = create_app(
            env.app,
            options=WebOptions(access_log=None, runtime=RuntimeOptions(redis_url=REDIS_URL)),
        )
        apps.append(web)
    with TestClient(apps[0]) as w1, TestClient(apps[1]) as w2:
        for web in apps:
            web.state.runtime.limiter._prefix = prefix  # isolate from other test runs
        codes = []
        for i in range(6):
            http = w1 if i % 2 == 0 else w2
            codes.append(
                http.get("/api/v1/eligibility", params=PARAMS, headers=headers).status_code
            )
        assert codes[:4] == [200, 200, 200, 200]
        assert codes[4:] == [429, 429]
        res = w1.get("/api/v1/eligibility", params=PARAMS, headers=headers)
        assert res.status_code == 429 and int(res.headers["retry-after"]) >= 1
