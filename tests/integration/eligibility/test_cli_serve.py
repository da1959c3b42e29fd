"""The commands: ``clients add/list/revoke``, ``audit verify/head``, and ``serve`` with two
worker processes (metrics summed across workers, access log without personal data, audit rows
not lost on shutdown)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from shikaku.eligibility.__main__ import make_app
from shikaku.eligibility.tables import eligibility_audit

from .conftest import TOKYO, Registry, database_url

runner = CliRunner()


def cli(engine: Engine, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        make_app(),
        ["--database-url", database_url(engine), "--key-file", str(tmp_path / "k.key"), *args],
        catch_exceptions=False,
        env={"COLUMNS": "200"},
    )


def test_clients_add_prints_the_key_once_and_list_hides_it(engine: Engine, tmp_path: Path) -> None:
    res = cli(
        engine,
        tmp_path,
        "clients",
        "add",
        "-c",
        "1312345678",
        "-n",
        "テスト医院",
        "--scope",
        "eligibility",
        "--rate",
        "5",
    )
    assert res.exit_code == 0, res.output
    key = res.stdout.strip().splitlines()[-1]
    assert key.startswith("skk_") and len(key) > 40
    listed = cli(engine, tmp_path, "clients", "list")
    assert listed.exit_code == 0
    assert "1312345678" in listed.stdout and key not in listed.stdout
    assert key[:12] in listed.stdout
    bad = cli(engine, tmp_path, "clients", "add", "-c", "123", "-n", "x")
    assert bad.exit_code == 2
    assert cli(engine, tmp_path, "clients", "revoke", "1").exit_code == 0
    assert cli(engine, tmp_path, "clients", "revoke", "1").exit_code == 1


def test_audit_verify_and_head(engine: Engine, tmp_path: Path) -> None:
    from shikaku.eligibility.audit import now_us, sink_factory

    sink = sink_factory(database_url(engine))()
    sink.append(
        [
            (
                now_us(),
                1,
                "1312345678",
                "numbers",
                f"r{i}",
                i,
                date(2025, 12, 10),
                1,
                None,
                None,
                None,
                "ok",
            )
            for i in range(5)
        ]
    )
    sink.close()
    ok = cli(engine, tmp_path, "audit", "verify")
    assert ok.exit_code == 0 and "5 rows" in ok.stdout
    head = cli(engine, tmp_path, "audit", "head").stdout.strip()
    assert head.startswith("5:") and len(head) == 2 + 64
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER eligibility_audit_no_update"))
        else:
            conn.execute(text("ALTER TABLE eligibility_audit DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE eligibility_audit SET outcome = 'x' WHERE seq = 2"))
        if engine.dialect.name != "sqlite":
            conn.execute(text("ALTER TABLE eligibility_audit ENABLE TRIGGER USER"))
    bad = cli(engine, tmp_path, "audit", "verify", "--anchor", head)
    assert bad.exit_code == 1 and "seq 2: edited" in bad.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_with_two_workers(engine: Engine, cipher, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    registry = Registry(engine, cipher)
    ref = registry.member(birth=date(1980, 5, 10))
    res = cli(
        engine,
        tmp_path,
        "clients",
        "add",
        "-c",
        "1312345678",
        "-n",
        "負荷試験",
        "--rate",
        "100000",
        "--burst",
        "100000",
    )
    key = res.stdout.strip().splitlines()[-1]
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SHIKAKU_METRICS_DIR", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shikaku.eligibility",
            "--database-url",
            database_url(engine),
            "--key-file",
            str(tmp_path / "k.key"),
            "serve",
            "--workers",
            "2",
            "--port",
            str(port),
            "--access-log",
            str(access_log),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
            time.sleep(0.3)
        params = {
            "insurer_number": TOKYO,
            "symbol": ref.symbol,
            "number": ref.number,
            "branch": ref.branch_no,
            "birth_date": "1980-05-10",
        }
        n = 120
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
            for i in range(n):
                # a fresh connection now and then, so both workers get requests
                r = http.get(
                    "/api/v1/eligibility",
                    params=params,
                    headers={"Connection": "close"} if i % 3 == 0 else None,
                )
                assert r.status_code == 200 and r.json()["validity"]["code"] == 1
            assert httpx.get(base + "/openapi.json").json()["openapi"].startswith("3.1")
            time.sleep(1.5)  # both workers publish their metrics
            metrics = httpx.get(base + "/metrics").text
        line = next(
            ln
            for ln in metrics.splitlines()
            if ln.startswith('shikaku_http_requests_total{route="/api/v1/eligibility"')
            and 'status="200"' in ln
        )
        assert float(line.rsplit(" ", 1)[1]) == n
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out = server.communicate(timeout=60)[0].decode()
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert server.returncode == 0, out
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(eligibility_audit)).scalar() == n
    assert cli(engine, tmp_path, "audit", "verify").exit_code == 0
    logged = access_log.read_text()
    assert logged.count('"route":"/api/v1/eligibility"') == n
    for personal in ("1980-05-10", "birth_date", ref.symbol, "insurer_number"):
        assert personal not in logged
