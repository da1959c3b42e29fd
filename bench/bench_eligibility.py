"""Eligibility API throughput and latency, with the hello-world ceiling of the same server.

    .venv/bin/python bench/bench_eligibility.py [--members 1000000] [--backends sqlite,postgresql]
        [--runs 3] [--duration 15] [--workers 2] [--method GET|POST] [--inprocess-rounds 10]

For each backend: build a registry of ``--members`` synthetic members once (SQLite file under
bench/out/, PostgreSQL database ``shikaku_bench_elig``; reused while the member count matches),
create a clinic client, sample random existing keys into a wrk Lua script, start
``shikaku serve --workers N`` (audit logging and the access log on, as in production), then run
``wrk -t2 -c64 -d15s --latency`` alternately against ``/hello`` (same server, same middleware,
no work: the ceiling) and the look-up, ``--runs`` times each. Before the server starts, the
same app is also driven in process (``--inprocess-rounds`` alternating rounds of hello and
look-up, no sockets; CPU per request of the process, its audit writer and the database
backends), a steadier figure for the look-up's own work on a noisy machine. Medians go to
bench/out/eligibility-results.json and to the "## Eligibility API" section of bench/README.md.

Loopback only; every run is bounded by ``--duration``. Needs Debian's ``wrk``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
README = ROOT / "bench" / "README.md"
SECTION = "## Eligibility API"
PG_ADMIN_URL = os.environ.get(
    "SHIKAKU_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1/test"
)
PG_DATABASE = "shikaku_bench_elig"
SEED = 2025
AS_OF = date(2025, 4, 30)

sys.path.insert(0, str(ROOT / "src"))

from shikaku.crypto import MyNumberCipher, load_key  # noqa: E402
from shikaku.db.engine import make_engine, normalise_url, upgrade  # noqa: E402
from shikaku.eligibility.clients import do_create_client  # noqa: E402
from shikaku.eligibility.tables import eligibility_audit  # noqa: E402
from shikaku.registry.tables import branch, membership, person  # noqa: E402


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", flush=True)


# --- the registry ------------------------------------------------------------------------------


def sqlite_url(members: int) -> str:
    return f"sqlite:///{OUT / f'eligibility-{members}.sqlite3'}"


def pg_url() -> str:
    admin = make_url(normalise_url(PG_ADMIN_URL))
    eng = make_engine(admin.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DATABASE}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    eng.dispose()
    return admin.set(database=PG_DATABASE).render_as_string(hide_password=False)


def ensure_registry(url: str, members: int, cipher: MyNumberCipher) -> Engine:
    from shikaku.synth import load, synthesize

    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(membership)).scalar_one()
    if have == members:
        log(f"registry ready: {have:,} memberships ({engine.dialect.name})")
        return engine
    log(f"building a {members:,}-member registry in {engine.dialect.name} (have {have:,})")
    started = time.perf_counter()
    population = synthesize(members, SEED, AS_OF)
    stats = load(engine, population, cipher, replace=True, encrypt_workers=2)
    log(f"loaded in {time.perf_counter() - started:.0f} s: {stats.rows}")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return engine


def bench_client(engine: Engine) -> str:
    with engine.begin() as conn:
        _, key = do_create_client(
            conn,
            at=datetime.now().astimezone(),
            institution_code="1319999999",
            name="benchmark",
            rate_per_second=10_000_000,
            burst=10_000_000,
        )
    return key


def sample_keys(engine: Engine, n: int) -> list[tuple[str, str, str, str, str]]:
    """Random existing keys: (insurer number, symbol, number, branch, birth date)."""
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(membership.c.id))]
        rng = random.Random(SEED)
        chosen = rng.sample(ids, min(n, len(ids)))
        rows = conn.execute(
            select(
                branch.c.insurer_number,
                membership.c.symbol,
                membership.c.number,
                membership.c.branch_no,
                person.c.birth_date,
            )
            .join(branch, branch.c.code == membership.c.branch_code)
            .join(person, person.c.id == membership.c.person_id)
            .where(membership.c.id.in_(chosen))
        ).all()
    return [(r[0], r[1], r[2], r[3], r[4].isoformat()) for r in rows]


def lookup_query(key: Sequence[str]) -> str:
    """The query string of a GET look-up for a sampled key (wrk and the in-process run)."""
    ins, sym, num, br, birth = key
    return (
        f"insurer_number={ins}&symbol={sym}&number={num}&branch={br}&birth_date={birth}"
        "&presented_document=legacy_card"
    )


def lua_script(keys: Sequence[tuple[str, ...]], api_key: str, method: str, path: Path) -> Path:
    lines = ["local reqs = {"]
    for ins, sym, num, br, birth in keys:
        if method == "GET":
            lines.append(f'"/api/v1/eligibility?{lookup_query((ins, sym, num, br, birth))}",')
        else:
            body = json.dumps(
                {
                    "insurer_number": ins,
                    "symbol": sym,
                    "number": num,
                    "branch": br,
                    "birth_date": birth,
                    "presented_document": "legacy_card",
                }
            )
            lines.append("[[" + body + "]],")
    lines.append("}")
    lines.append("local n = #reqs")
    lines.append("local i = math.random(n)")
    lines.append(f'wrk.headers["Authorization"] = "Bearer {api_key}"')
    if method == "POST":
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    # Format every request once, in init(): the load generator shares the two cores with the
    # server, so what it spends per request (wrk.format builds and interns a new string) is
    # taken from the server being measured.
    lines.append("init = function()")
    lines.append("  for j = 1, n do")
    if method == "GET":
        lines.append('    reqs[j] = wrk.format("GET", reqs[j])')
    else:
        lines.append('    reqs[j] = wrk.format("POST", "/api/v1/eligibility", nil, reqs[j])')
    lines.append("  end")
    lines.append("end")
    lines.append("request = function()")
    lines.append("  i = (i % n) + 1")
    lines.append("  return reqs[i]")
    lines.append("end")
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command() -> list[str]:
    """``shikaku serve`` when the full CLI loads; the eligibility commands alone otherwise."""
    exe = Path(sys.executable).parent / "shikaku"
    if exe.exists() and subprocess.run([str(exe), "--help"], capture_output=True).returncode == 0:
        return [str(exe)]
    return [sys.executable, "-m", "shikaku.eligibility"]


def start_server(url: str, key_file: Path, port: int, workers: int, access_log: Path) -> Any:
    cmd = [
        *serve_command(),
        "--database-url",
        url,
        "--key-file",
        str(key_file),
        "serve",
        "--workers",
        str(workers),
        "--port",
        str(port),
        "--access-log",
        str(access_log),
    ]
    log("starting: " + " ".join("<pg url>" if c.startswith("postgresql") else c for c in cmd))
    env = {k: v for k, v in os.environ.items() if k != "SHIKAKU_METRICS_DIR"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode())  # type: ignore[union-attr]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def stop_server(proc: Any) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- wrk -----------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value.strip())
    if not m:
        raise ValueError(value)
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class Run:
    target: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: str
    load_before: float
    server_cpu_us: float  # CPU of the server's processes (workers, writers) per request
    wrk_cpu_us: float  # CPU of wrk per request


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int, extra: Sequence[int] = (), *, include_root: bool = True) -> float:
    """utime + stime of *root* (unless not *include_root*), all its descendants and the
    *extra* processes (from /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    total, todo = sum(times.get(pid, 0.0) for pid in extra), [root]
    while todo:
        pid = todo.pop()
        if pid != root or include_root:
            total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def wrk(
    url: str,
    script: Path | None,
    duration: int,
    threads: int,
    conns: int,
    target: str,
    server_pid: int,
    db_pids: Sequence[int] = (),
) -> Run:
    load = os.getloadavg()[0]
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    server_before = tree_cpu_seconds(server_pid, db_pids)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration + 60).stdout
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = tree_cpu_seconds(server_pid, db_pids) - server_before
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return Run(
        target,
        rps,
        p50,
        p99,
        total,
        int(non.group(1)) if non else 0,
        sock.group(1) if sock else "",
        load,
        server_cpu / total * 1e6,
        wrk_cpu / total * 1e6,
    )


def backend_pids(engine: Engine) -> list[int]:
    """PostgreSQL backends serving the benchmark database (their CPU is the server's too)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        own = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        rows = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        return [int(pid) for pid in rows if pid != own]


def audit_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(eligibility_audit)).scalar_one())


# --- in process: the same ASGI app without network, server or load generator -------------------


@dataclass
class InProcess:
    """Machine CPU per request through the ASGI app in this process (plus its audit writer
    process and, for PostgreSQL, the backends), hello and look-up alternating in rounds."""

    rounds: int
    requests_per_round: int
    hello_us: float  # medians over the rounds
    lookup_us: float
    ratio: float  # median of the rounds' hello / look-up


def in_process(
    url: str,
    key_file: Path,
    engine: Engine,
    keys: list[tuple[str, str, str, str, str]],
    api_key: str,
    rounds: int,
    per_round: int,
    concurrency: int,
) -> InProcess:
    """Drive ``create_app`` directly: no sockets, no uvicorn, no wrk. Each round sends
    *per_round* hello requests, then as many look-ups, from *concurrency* clients at once (so
    the PostgreSQL reader coalesces keys as it does under load), and charges each the CPU the
    process tree (and the database backends) spent. The rounds alternate, so a slow spell
    of a shared machine hits both targets alike; their paired ratios are less noisy than
    two separate wrk runs."""
    import asyncio
    from dataclasses import replace as dc_replace

    from shikaku.bootstrap import build
    from shikaku.config import load_settings
    from shikaku.eligibility.runtime import RuntimeOptions
    from shikaku.web.app import WebOptions, create_app

    settings = dc_replace(load_settings(), database_url=url, key_file=key_file)
    app = build(settings, migrate=False, create_key=False)
    options = WebOptions(
        access_log=str(OUT / "eligibility-access-inprocess.log"),
        runtime=RuntimeOptions(audit_process=True),
        tune_gc=True,
    )
    web = create_app(app, options=options)
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {api_key}".encode())]
    queries = [lookup_query(key).encode() for key in keys]

    def scope(path: str, query: bytes) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query,
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }

    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def client(path: str, qs: list[bytes]) -> None:
        for q in qs:
            await web(scope(path, q), receive, send)

    async def batch(path: str, qs: list[bytes]) -> None:
        # *concurrency* clients, each sending its share one request after another (one task
        # per client, not per request, so hello pays no task overhead the look-up hides)
        await asyncio.gather(*(client(path, qs[i::concurrency]) for i in range(concurrency)))

    async def run() -> InProcess:
        lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        started = asyncio.Event()

        async def lifespan_send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        lifespan.put_nowait({"type": "lifespan.startup"})
        task = asyncio.create_task(
            web({"type": "lifespan", "asgi": {"version": "3.0"}}, lifespan.get, lifespan_send)
        )
        await started.wait()
        try:
            db = backend_pids(engine)

            def machine() -> float:
                """CPU of the audit writer process and the database backends (from /proc,
                in clock ticks; this process's own CPU is read precisely apart)."""
                return tree_cpu_seconds(os.getpid(), db, include_root=False)

            # warm-up: every key once, as wrk's warm-up run does, so that the rounds find the
            # registry's pages as the wrk runs find them (touched before), not for the first time
            await batch("/api/v1/eligibility", queries)
            await batch("/hello", [b""] * per_round)
            # the audit writer process starts (imports) with the app: wait until it idles,
            # or its start-up would be charged to the first rounds
            for _ in range(120):
                before = machine()
                await asyncio.sleep(0.5)
                if machine() - before < 0.02:
                    break
            hello: list[float] = []
            lookup: list[float] = []
            for r in range(rounds):
                start = (r * per_round) % max(1, len(queries) - per_round)
                chunk = queries[start : start + per_round]
                for target, path, qs in (
                    (hello, "/hello", [b""] * len(chunk)),
                    (lookup, "/api/v1/eligibility", chunk),
                ):
                    others = machine()  # walking /proc costs this process a few ms:
                    own = time.process_time()  # keep it out of the window
                    await batch(path, qs)
                    await asyncio.sleep(0.25)  # let the audit writer flush this round's rows
                    own = time.process_time() - own
                    spent = own + machine() - others
                    target.append(spent / len(qs) * 1e6)
        finally:
            lifespan.put_nowait({"type": "lifespan.shutdown"})
            await task
        bad = sum(1 for s in statuses if s != 200)
        if bad:
            raise RuntimeError(f"in-process run: {bad} responses were not 200")
        ratios = [h / lk for h, lk in zip(hello, lookup, strict=True) if lk > 0]
        return InProcess(
            rounds,
            per_round,
            round(statistics.median(hello), 1),
            round(statistics.median(lookup), 1),
            round(statistics.median(ratios), 3),
        )

    try:
        import uvloop

        return uvloop.run(run())
    finally:
        app.engine.dispose()


def bench_backend(
    name: str, url: str, args: argparse.Namespace, cipher: MyNumberCipher, key_file: Path
) -> dict[str, Any]:
    engine = ensure_registry(url, args.members, cipher)
    api_key = bench_client(engine)
    keys = sample_keys(engine, args.keys)
    script = lua_script(keys, api_key, args.method, OUT / f"eligibility-{name}.lua")
    inproc = None
    if args.inprocess_rounds > 0:
        log("in process: hello and look-up through the ASGI app, alternating")
        inproc = in_process(
            url,
            key_file,
            engine,
            keys,
            api_key,
            args.inprocess_rounds,
            args.inprocess_requests,
            args.connections,
        )
        log(
            f"in process: hello {inproc.hello_us:.1f} µs, look-up {inproc.lookup_us:.1f} µs"
            f" of CPU per request, ratio {inproc.ratio:.3f}"
        )
    before = audit_rows(engine)
    port = free_port()
    access_log = OUT / f"eligibility-access-{name}.log"
    access_log.unlink(missing_ok=True)
    proc = start_server(url, key_file, port, args.workers, access_log)
    base = f"http://127.0.0.1:{port}"
    runs: list[Run] = []
    try:
        log("warm-up")
        wrk(base, script, args.warmup, args.threads, args.connections, "warmup", proc.pid)
        wrk(
            base + "/hello",
            None,
            max(2, args.warmup // 2),
            args.threads,
            args.connections,
            "warmup",
            proc.pid,
        )
        for i in range(args.runs):
            for target, u, s in (("hello", base + "/hello", None), ("lookup", base, script)):
                run = wrk(
                    u,
                    s,
                    args.duration,
                    args.threads,
                    args.connections,
                    target,
                    proc.pid,
                    backend_pids(engine),
                )
                runs.append(run)
                log(
                    f"{name} run {i + 1} {target}: {run.rps:,.0f} req/s, p50 {run.p50_ms:.2f} ms,"
                    f" p99 {run.p99_ms:.2f} ms, non-2xx {run.non_2xx}, load {run.load_before:.2f},"
                    f" server CPU {run.server_cpu_us:.0f} µs/req, wrk {run.wrk_cpu_us:.0f} µs/req"
                )
    finally:
        stop_server(proc)
    lookups = sum(r.requests for r in runs if r.target in ("lookup",))
    warm = audit_rows(engine) - before
    lookup_runs = [r for r in runs if r.target == "lookup"]
    hello_runs = [r for r in runs if r.target == "hello"]
    result = {
        "backend": name,
        "members": args.members,
        "workers": args.workers,
        "method": args.method,
        "hello": _summary(hello_runs),
        "lookup": _summary(lookup_runs),
        "runs": [asdict(r) for r in runs],
        "audit_rows_written": warm,
        "in_process": None if inproc is None else asdict(inproc),
        "lookup_requests_measured": lookups,
    }
    result["ratio"] = round(result["lookup"]["rps"] / result["hello"]["rps"], 3)
    engine.dispose()
    return result


def _summary(runs: list[Run]) -> dict[str, float]:
    server = statistics.median(r.server_cpu_us for r in runs)
    client = statistics.median(r.wrk_cpu_us for r in runs)
    return {
        "rps": round(statistics.median(r.rps for r in runs), 1),
        "p50_ms": round(statistics.median(r.p50_ms for r in runs), 2),
        "p99_ms": round(statistics.median(r.p99_ms for r in runs), 2),
        "non_2xx": sum(r.non_2xx for r in runs),
        "server_cpu_us": round(server, 1),
        "wrk_cpu_us": round(client, 1),
        # what the same CPU cost per request would give with both cores to server and wrk
        "idle_estimate_rps": round(2e6 / (server + client)),
    }


def markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        SECTION,
        "",
        f"`bench/bench_eligibility.py` — {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} vCPU, "
        f"wrk `-t{args.threads} -c{args.connections} -d{args.duration}s` on 127.0.0.1 sharing "
        f"the machine, `shikaku serve --workers {args.workers}` (uvicorn + httptools + uvloop, "
        "Starlette), audit chain and access log on, "
        f"{args.members:,} synthetic members, random existing keys ({args.method}), "
        f"{args.runs} alternating runs per target, medians.",
        "",
        "| backend | target | req/s (runs) | median req/s | p50 | p99 | non-2xx "
        "| server CPU/req | wrk CPU/req | est. req/s, idle machine |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        for target in ("hello", "lookup"):
            runs = [r for r in res["runs"] if r["target"] == target]
            s = res[target]
            each = " / ".join(f"{r['rps']:,.0f}" for r in runs)
            lines.append(
                f"| {res['backend']} | {'/hello (ceiling)' if target == 'hello' else 'look-up'} "
                f"| {each} | {s['rps']:,.0f} "
                f"| {s['p50_ms']:.2f} ms | {s['p99_ms']:.2f} ms | {s['non_2xx']} "
                f"| {s['server_cpu_us']:.0f} µs | {s['wrk_cpu_us']:.0f} µs "
                f"| {s['idle_estimate_rps']:,.0f} |"
            )
    lines += [""]
    for res in results:
        loads = ", ".join(f"{r['load_before']:.1f}" for r in res["runs"])
        lines.append(
            f"* {res['backend']}: look-up / hello = **{res['ratio']:.2f}**; "
            f"{res['audit_rows_written']:,} audit rows written during the benchmark "
            f"(every look-up, warm-up included); 1-min load average before each run: {loads}."
        )
    inproc = [res for res in results if res.get("in_process")]
    if inproc:
        first = inproc[0]["in_process"]
        lines += [
            "",
            "In process (the same app driven directly, no sockets, no uvicorn, no wrk; every "
            "key looked up once to warm up, then "
            f"{first['rounds']} alternating rounds of {first['requests_per_round']:,} requests "
            f"from {args.connections} concurrent clients; CPU of the process, its audit writer "
            "and the database backends per request, medians; ratio: median of the rounds' "
            "hello / look-up):",
            "",
            "| backend | hello | look-up | look-up / hello |",
            "|---|---:|---:|---:|",
        ]
        for res in inproc:
            ip = res["in_process"]
            lines.append(
                f"| {res['backend']} | {ip['hello_us']:.1f} µs | {ip['lookup_us']:.1f} µs "
                f"| {ip['ratio']:.2f} |"
            )
    lines += [
        "",
        "Targets (from the brief): ≥ 10,000 look-ups/s on SQLite and ≥ 5,000/s on PostgreSQL, "
        "p99 ≤ 20 ms, look-up ≥ half the hello ceiling. The machine is shared: other jobs "
        "running during a run lower every figure (see the load averages). CPU per request is "
        "measured from /proc (server: the serve process tree — workers, audit writer processes — "
        "plus, for PostgreSQL, the backends serving the benchmark database) and from wrk's "
        "rusage; the last column "
        "divides two cores by the sum, an estimate of what an otherwise idle machine would "
        "give at that cost per request, not a measurement.",
        "",
        "Where a look-up's time goes, what was tried, and the earlier figures: the next "
        "section (written by hand; this script rewrites only the section above).",
        "",
    ]
    return "\n".join(lines)


def write_readme(section: str, heading: str = SECTION, before: str | None = None) -> None:
    """Replace the section *heading* of bench/README.md with *section*; a new one goes before
    the heading *before* when given (and present), else at the end."""
    section = section.rstrip("\n") + "\n\n"
    text = README.read_text() if README.exists() else ""
    if heading in text:
        start = text.index(heading)
        nxt = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[nxt + 1 :] if nxt != -1 else "")
    elif before is not None and before in text:
        at = text.index(before)
        text = text[:at] + section + text[at:]
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + section
    README.write_text(text)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=1_000_000)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--keys", type=int, default=50_000)
    p.add_argument("--method", choices=["GET", "POST"], default="GET")
    p.add_argument(
        "--inprocess-rounds",
        type=int,
        default=10,
        help="alternating rounds of the in-process measurement (0: skip it)",
    )
    p.add_argument("--inprocess-requests", type=int, default=4000, help="requests per round")
    p.add_argument("--no-readme", action="store_true")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    key_file = OUT / "eligibility-bench.key"
    cipher = MyNumberCipher(load_key(key_hex=None, key_file=key_file, create=True))
    results = []
    for name in args.backends.split(","):
        url = sqlite_url(args.members) if name == "sqlite" else pg_url()
        results.append(bench_backend(name, url, args, cipher, key_file))
    (OUT / "eligibility-results.json").write_text(json.dumps(results, indent=2, default=str))
    section = markdown(results, args)
    print(section)
    if not args.no_readme:
        write_readme(section)


if __name__ == "__main__":
    main()
