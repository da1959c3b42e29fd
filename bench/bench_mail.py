"""Returned mail on PostgreSQL: ingest N return events from CSV and re-route them into employer
envelopes; reconcile the ledger over M pieces.

    .venv/bin/python bench/bench_mail.py [--url postgresql+psycopg://postgres@127.0.0.1/test]
        [--returns 1000000] [--pieces 1200000] [--employers 100000]
        [--reconcile-pieces 10000000] [--runs 3] [--skip-ingest] [--skip-reconcile]

What is built (not timed), with bulk SQL (``generate_series``) in throw-away databases:

* ingest: ``--pieces`` posted home pieces (one per household; 30 % also carry a dependant's
  certificate) of 47 branch waves, their employers, people, memberships and certificates. The
  pieces are written in id order, as prepare writes them (ids follow branch and sequence).
  No PDFs are rendered for them and their print/post event rows are not created.
  The CSV holds ``--returns`` distinct returns (90 % by piece id, 10 % by 特定記録 number),
  reasons in the simulated shares, UTF-8.
* reconcile: ``--reconcile-pieces`` pieces in 47 posted waves — 70 % delivered, 27 % in
  transit, 3 % returned (re-routed with an employer piece, held with an open task, destroyed
  with void certificates, re-sent) with their ``return_event`` rows — plus ``target`` and
  ``certificate`` rows (1.3 per piece). The target and certificate foreign keys to person and
  membership are dropped in that database so no 13 M people need to be made: reconcile does
  not read those tables.

What is timed (median of ``--runs``, each run on a fresh copy of the database made from a
template):

* ``COPY`` of the same CSV into an unlogged table — the ceiling for getting the rows in;
* ``do_import_returns``: read + validate the CSV in Python, stage (COPY), classify, record,
  move pieces with event rows, tasks, webhook outbox — one transaction;
* ``plan_reroute``: re-check leavers, group by employer, number the employer pieces and
  envelopes, insert them, move the returned pieces — one transaction per group of branches,
  ``--plan-workers`` groups side by side (default 2, as ``shikaku mail reroute``);
* the cover letters of ONE print file (500 envelopes), to give pages/s; rendering every cover
  letter is extrapolated from it, not timed;
* ``reconcile`` over the big ledger.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Engine, event, literal_column, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from shikaku.actors import SYSTEM
from shikaku.clock import FixedClock
from shikaku.db.engine import make_engine, upgrade
from shikaku.mail.ids import luhn_number_sql
from shikaku.registry.service import do_seed_reference_data

DEFAULT_URL = os.environ.get(
    "SHIKAKU_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/test"
)
CLOCK = FixedClock.on(date(2025, 9, 30))
REASONS = (
    ("addressee-unknown", 0.55), ("moved-no-forwarding", 0.25), ("address-incomplete", 0.08),
    ("unclaimed", 0.05), ("refused", 0.03), ("deceased", 0.02), ("other", 0.02),
)  # fmt: skip


def piece_id_sql(branch: str, seq: str, offset: int = 0) -> str:
    """SQL for the 12-digit id of campaign 1's piece ``seq`` in branch ``branch`` (integer SQL
    expressions; ``offset`` 50 for a re-routed piece) with the project's set-based Luhn digit
    (shikaku.mail.ids.luhn_number_sql) compiled for PostgreSQL."""
    body = f"CAST(1000000000 AS BIGINT) + (({branch}) + {offset}) * 10000000 + ({seq})"
    expr = luhn_number_sql(literal_column(f"({body})", BigInteger), 11)
    sql = str(expr.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return sql.replace("%%", "%")  # compiled for pyformat; text() escapes again


def admin(url: str) -> Engine:
    return make_engine(url, isolation_level="AUTOCOMMIT")


def recreate(url: str, name: str, template: str | None = None) -> str:
    adm = admin(url)
    with adm.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        tpl = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{tpl}'))
    adm.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def template_current(url: str, tpl_url: str) -> bool:
    """The template database exists and is at the migrations' head revision."""
    from alembic.script import ScriptDirectory

    from shikaku.db.engine import alembic_config

    with admin(url).connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"),
            {"n": make_url(tpl_url).database},
        ).first()
    if not exists:
        return False
    eng = make_engine(tpl_url)
    head = ScriptDirectory.from_config(alembic_config(eng)).get_current_head()
    with eng.connect() as conn:
        rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    eng.dispose()
    print(f"template {make_url(tpl_url).database} at {rev}, head {head}", flush=True)
    return bool(rev == head)


def drop(url: str, name: str) -> None:
    adm = admin(url)
    with adm.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    adm.dispose()


def base_schema(db_url: str) -> Engine:
    eng = make_engine(db_url)
    upgrade(eng)
    with eng.begin() as conn:
        do_seed_reference_data(
            conn, actor=SYSTEM, at=CLOCK.now(), name_ja="全国健康保険協会", name_en="JHIA"
        )
        conn.execute(
            text(
                "INSERT INTO campaign (id, name, snapshot_date, issue_date, valid_to, created_at) "
                "VALUES (1, 'bench', '2025-04-30', '2025-07-01', '2030-12-01', now())"
            )
        )
        conn.execute(
            text(
                "INSERT INTO wave (id, campaign_id, code, branch_code, post_from, post_to, status) "
                "SELECT CAST(code AS INTEGER), 1, 'W' || code, code, '2025-08-01', '2025-08-08', "
                "'printed' FROM branch"
            )
        )
    return eng


def _branch(expr: str) -> str:
    return f"lpad(((({expr}) % 47) + 1)::text, 2, '0')"


# -- ingest + re-route ------------------------------------------------------------------------


def build_ingest_db(db_url: str, pieces: int, employers: int) -> None:
    eng = base_schema(db_url)
    home_id = piece_id_sql("(e % 47) + 1", "g")
    steps = [
        (
            "employers",
            f"INSERT INTO employer (id, branch_code, symbol, name, postal_code, address) "
            f"SELECT e, {_branch('e')}, lpad(e::text, 8, '0'), '株式会社ベンチ' || e, '1000013', "
            f"'東京都千代田区霞が関1丁目3番2号' FROM generate_series(1, {employers}) e",
        ),
        (
            "people",
            f"INSERT INTO person (id, family_name, given_name, family_name_kana, given_name_kana, "
            f"sex, birth_date, postal_code, address) SELECT g, '山田', '太郎' || (g % 100), "
            f"'ヤマダ', 'タロウ', 1 + g % 2, date '1960-01-01' + (g % 15000), '1000013', "
            f"'東京都千代田区霞が関1丁目3番2号' FROM generate_series(1, {pieces}) g "
            f"UNION ALL SELECT {pieces} + g, '山田', '花子', 'ヤマダ', 'ハナコ', 2, "
            f"date '1990-01-01' + (g % 9000), NULL, NULL FROM generate_series(1, {pieces}) g "
            f"WHERE g % 10 < 3",
        ),
        (
            "memberships",
            f"INSERT INTO membership (id, person_id, employer_id, branch_code, symbol, number, "
            f"branch_no, relationship, insured_person_id, valid_from) "
            f"SELECT g, g, e, {_branch('e')}, lpad(e::text, 8, '0'), g::text, '00', 1, g, "
            f"date '2020-04-01' FROM (SELECT g, g % {employers} + 1 AS e "
            f"FROM generate_series(1, {pieces}) g) s "
            f"UNION ALL SELECT {pieces} + g, {pieces} + g, e, {_branch('e')}, "
            f"lpad(e::text, 8, '0'), g::text, '01', 2, g, date '2020-04-01' "
            f"FROM (SELECT g, g % {employers} + 1 AS e FROM generate_series(1, {pieces}) g) s "
            f"WHERE g % 10 < 3",
        ),
        (
            "pieces",
            f"INSERT INTO mail_piece (id, campaign_id, wave_id, insured_person_id, employer_id, "
            f"branch_code, route, postal_code, members, tracking_no, status, updated_at) "
            f"SELECT {home_id}, 1, CAST({_branch('e')} AS INTEGER), g, e, {_branch('e')}, "
            f"'home', '1000013', CASE WHEN g % 10 < 3 THEN 2 ELSE 1 END, "
            f"'5' || lpad(g::text, 11, '0'), 'posted', now() "
            f"FROM (SELECT g, g % {employers} + 1 AS e FROM generate_series(1, {pieces}) g) s "
            # in id order, as prepare writes a wave's pieces (ids follow branch and sequence)
            f"ORDER BY 1",
        ),
        (
            "certificates",
            "INSERT INTO certificate (person_id, membership_id, campaign_id, piece_id, "
            "issue_date, valid_to) SELECT m.person_id, m.id, 1, p.id, '2025-07-01', "
            "'2030-12-01' FROM membership m JOIN mail_piece p ON p.insured_person_id = "
            "m.insured_person_id",
        ),
    ]
    with eng.begin() as conn:
        for name, sql in steps:
            t = time.perf_counter()
            conn.execute(text(sql))
            print(f"  built {name} in {time.perf_counter() - t:.1f} s", flush=True)
        for seq, table in (("employer_id_seq", "employer"), ("person_id_seq", "person"),
                           ("membership_id_seq", "membership")):  # fmt: skip
            conn.execute(text(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))"))
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    eng.dispose()


def write_csv(db_url: str, path: Path, returns: int, pieces: int, seed: int) -> None:
    """``returns`` distinct pieces, 90 % by piece id and 10 % by 特定記録 number."""
    eng = make_engine(db_url)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(np.arange(1, pieces + 1), size=returns, replace=False)
    with eng.connect() as conn:
        ids = dict(conn.execute(text("SELECT insured_person_id, id FROM mail_piece")).all())
    eng.dispose()
    codes = [r for r, _ in REASONS]
    probs = np.array([p for _, p in REASONS])
    reasons = rng.choice(len(codes), size=returns, p=probs / probs.sum())
    days = rng.integers(1, 29, size=returns)
    by_tracking = rng.random(returns) < 0.10
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["piece_id", "tracking_no", "returned_on", "reason"])
        for g, k, d, trk in zip(
            chosen.tolist(), reasons.tolist(), days.tolist(), by_tracking.tolist(), strict=True
        ):
            day = f"2025-09-{d:02d}"
            if trk:
                w.writerow(["", f"5{g:011d}", day, codes[k]])
            else:
                w.writerow([ids[g], "", day, codes[k]])


def time_copy(db_url: str, path: Path) -> float:
    eng = make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(
            text(
                "CREATE UNLOGGED TABLE copy_ceiling (piece_id text, tracking_no text, "
                "returned_on date, reason text)"
            )
        )
    raw = path.read_bytes()
    t = time.perf_counter()
    with eng.begin() as conn:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        with (
            dbapi.cursor() as cur,
            cur.copy(  # type: ignore[attr-defined]
                "COPY copy_ceiling FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as cp,
        ):
            cp.write(raw)
    elapsed = time.perf_counter() - t
    eng.dispose()
    return elapsed


class StatementTimes:
    """Wall time per SQL statement on one engine (SQLAlchemy cursor events), to see which
    statements an ingest spends its time in. Statements are keyed by their first words."""

    def __init__(self, eng: Engine) -> None:
        self.total: dict[str, float] = {}
        self._start: list[float] = []
        event.listen(eng, "before_cursor_execute", self._before)
        event.listen(eng, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, stmt: str, *args: Any) -> None:
        self._start.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, stmt: str, *args: Any) -> None:
        key = " ".join(stmt.split())[:110]
        self.total[key] = self.total.get(key, 0.0) + time.perf_counter() - self._start.pop()

    def report(self, n: int) -> str:
        top = sorted(self.total.items(), key=lambda kv: -kv[1])[:n]
        lines = [f"  {s:7.2f} s  {k}" for k, s in top]
        return "\n".join([f"  {sum(self.total.values()):7.2f} s  all statements", *lines])


def auto_explain(eng: Engine, min_seconds: float) -> None:
    """Log the plan, buffers and WAL of every statement slower than ``min_seconds`` into the
    server's log (PostgreSQL's auto_explain; needs a superuser)."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("LOAD 'auto_explain'")
        for k, v in (
            ("log_min_duration", f"{int(min_seconds * 1000)}ms"),
            ("log_analyze", "on"),
            ("log_buffers", "on"),
            ("log_wal", "on"),
            ("log_nested_statements", "on"),
        ):
            cur.execute(f"SET auto_explain.{k} = '{v}'")
        cur.close()
        dbapi_conn.commit()

    event.listen(eng, "connect", on_connect)


def time_ingest(
    db_url: str,
    path: Path,
    out_dir: Path,
    statements: int = 0,
    explain: float = 0.0,
    plan_workers: int | None = None,
) -> dict[str, float]:
    from shikaku.issuance.render.cover import render_cover_letters
    from shikaku.mail.intake import do_import_returns
    from shikaku.mail.reroute import _cover_letters, plan_reroute

    eng = make_engine(db_url)
    timer = StatementTimes(eng) if statements else None
    if explain:
        auto_explain(eng, explain)
    res: dict[str, float] = {}
    t = time.perf_counter()
    with eng.begin() as conn:
        rep = do_import_returns(conn, actor=SYSTEM, at=CLOCK.now(), today=CLOCK.today(), path=path)
    res["import_s"] = time.perf_counter() - t
    res["recorded"] = rep.recorded
    res["rejected"] = len(rep.rejects)
    res["rerouteable"] = rep.by_action.get("reroute-employer", 0)
    t = time.perf_counter()
    plan = plan_reroute(
        eng,
        actor=SYSTEM,
        at=CLOCK.now(),
        run_on=CLOCK.today(),
        today=CLOCK.today(),
        workers=plan_workers,
    )
    res["plan_s"] = time.perf_counter() - t
    if timer is not None:
        print("slowest statements (import + plan):\n" + timer.report(statements), flush=True)
    res["envelopes"] = plan.envelopes
    res["pieces"] = plan.pieces
    res["certificates"] = plan.members or 0
    with eng.connect() as conn:
        first = conn.execute(
            text("SELECT file_name FROM reroute_batch ORDER BY file_name LIMIT 1")
        ).scalar_one()
        files = conn.execute(
            text("SELECT count(DISTINCT file_name) FROM reroute_batch")
        ).scalar_one()
        t = time.perf_counter()
        letters = _cover_letters(conn, first, CLOCK.today())
        res["sample_query_s"] = time.perf_counter() - t
    t = time.perf_counter()
    result = render_cover_letters(letters, out_dir / "sample-covers.pdf")
    res["sample_render_s"] = time.perf_counter() - t
    res["sample_envelopes"] = len(letters)
    res["sample_pages"] = result.pages
    res["files"] = files
    eng.dispose()
    return res


# -- reconcile --------------------------------------------------------------------------------


def build_reconcile_db(db_url: str, pieces: int) -> None:
    eng = base_schema(db_url)
    home_id = piece_id_sql("(g % 47) + 1", "g / 47 + 1")
    child_id = piece_id_sql("(g % 47) + 1", "g / 47 + 1", offset=50)
    status = (
        "CASE WHEN g % 1000 < 700 THEN 'delivered' WHEN g % 1000 < 970 THEN 'posted' "
        "WHEN g % 1000 < 990 THEN 'rerouted' WHEN g % 1000 < 995 THEN 'held' "
        "WHEN g % 1000 < 998 THEN 'destroyed' ELSE 'resent' END"
    )
    steps = [
        (
            "drop person/membership foreign keys of target and certificate",
            "ALTER TABLE target DROP CONSTRAINT fk_target_person_id_person, "
            "DROP CONSTRAINT fk_target_membership_id_membership; "
            "ALTER TABLE certificate DROP CONSTRAINT fk_certificate_person_id_person, "
            "DROP CONSTRAINT fk_certificate_membership_id_membership",
        ),
        (
            "wave postings",
            "INSERT INTO wave_posting (wave_id, posted_on, pieces, recorded_at, actor) "
            "SELECT id, '2025-08-01', 0, now(), 'bench' FROM wave",
        ),
        (
            "pieces",
            f"INSERT INTO mail_piece (id, campaign_id, wave_id, insured_person_id, employer_id, "
            f"branch_code, route, postal_code, members, status, updated_at) "
            f"SELECT {home_id}, 1, (g % 47) + 1, g, g % 100000, {_branch('g')}, 'home', "
            f"'1000013', CASE WHEN g % 10 < 3 THEN 2 ELSE 1 END, {status}, now() "
            f"FROM generate_series(1, {pieces}) g",
        ),
        (
            "targets",
            f"INSERT INTO target (campaign_id, person_id, membership_id, insured_person_id, "
            f"employer_id, branch_code, reason, valid_to, status, piece_id) "
            f"SELECT 1, g * 2 + k, g * 2 + k, g, g % 100000, {_branch('g')}, 'no_card', "
            f"'2030-12-01', 'enveloped', NULL FROM generate_series(1, {pieces}) g, "
            f"generate_series(0, 1) k WHERE k = 0 OR g % 10 < 3",
        ),
        (
            "certificates",
            f"INSERT INTO certificate (person_id, membership_id, campaign_id, piece_id, "
            f"issue_date, valid_to, status) SELECT g * 2 + k, g * 2 + k, 1, {home_id}, "
            f"'2025-07-01', '2030-12-01', CASE WHEN g % 1000 BETWEEN 995 AND 997 THEN 'void' "
            f"ELSE 'active' END FROM generate_series(1, {pieces}) g, generate_series(0, 1) k "
            f"WHERE k = 0 OR g % 10 < 3",
        ),
        (
            "employer pieces of re-routed returns",
            f"INSERT INTO mail_piece (id, campaign_id, wave_id, insured_person_id, employer_id, "
            f"branch_code, route, postal_code, members, status, parent_piece_id, updated_at) "
            f"SELECT {child_id}, 1, (g % 47) + 1, g, g % 100000, {_branch('g')}, 'employer', "
            f"'1000013', 1, CASE WHEN g % 2 = 0 THEN 'delivered' ELSE 'posted' END, {home_id}, "
            f"now() FROM generate_series(1, {pieces}) g WHERE g % 1000 BETWEEN 970 AND 989",
        ),
        (
            "returns",
            f"INSERT INTO return_event (piece_id, trip, returned_on, reason, action, source, "
            f"branch_code, received_at, actor, intake_ref, handled_at) "
            f"SELECT {home_id}, 1, '2025-09-05', 'addressee-unknown', CASE "
            f"WHEN g % 1000 < 990 THEN 'reroute-employer' WHEN g % 1000 < 995 THEN "
            f"'hold-at-branch' WHEN g % 1000 < 998 THEN 'destroy' ELSE 'resend-home' END, "
            f"'csv', {_branch('g')}, now(), 'bench', 'bench', now() "
            f"FROM generate_series(1, {pieces}) g WHERE g % 1000 >= 970",
        ),
        (
            "employer envelopes",
            "INSERT INTO reroute_batch (id, envelope_id, run_on, run_seq, branch_code, "
            "employer_id, pieces, members, status, created_at) SELECT b, NULL, '2025-09-08', 1, "
            "lpad(b::text, 2, '0'), b, 0, 0, 'posted', now() FROM generate_series(1, 47) b",
        ),
        (
            "re-route items",
            "INSERT INTO reroute_item (piece_id, reroute_batch_id, return_event_id, "
            "parent_piece_id) SELECT c.id, (c.insured_person_id % 47) + 1, r.id, "
            "c.parent_piece_id FROM mail_piece c JOIN return_event r "
            "ON r.piece_id = c.parent_piece_id WHERE c.parent_piece_id IS NOT NULL",
        ),
        (
            "tasks of held pieces",
            "INSERT INTO branch_task (branch_code, piece_id, return_event_id, kind, status, "
            "created_at) SELECT r.branch_code, r.piece_id, r.id, 'review', 'open', now() "
            "FROM return_event r WHERE r.action = 'hold-at-branch'",
        ),
    ]
    with eng.begin() as conn:
        for name, sql in steps:
            t = time.perf_counter()
            conn.execute(text(sql))
            print(f"  built {name} in {time.perf_counter() - t:.1f} s", flush=True)
        conn.execute(
            text(
                "UPDATE wave_posting w SET pieces = (SELECT count(*) FROM mail_piece p "
                "WHERE p.wave_id = w.wave_id AND p.parent_piece_id IS NULL)"
            )
        )
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    eng.dispose()


def time_reconcile(db_url: str) -> tuple[float, bool, int]:
    from shikaku.mail.reconcile import reconcile

    eng = make_engine(db_url)
    with eng.connect() as conn:
        t = time.perf_counter()
        rep = reconcile(conn, campaign_id=1)
        elapsed = time.perf_counter() - t
    eng.dispose()
    pieces = sum(w.envelopes + w.employer_pieces for w in rep.waves)
    return elapsed, rep.ok, pieces


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--url", default=DEFAULT_URL)
    ap.add_argument("--returns", type=int, default=1_000_000)
    ap.add_argument("--pieces", type=int, default=1_200_000)
    ap.add_argument("--employers", type=int, default=100_000)
    ap.add_argument("--reconcile-pieces", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-reconcile", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the template databases")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the ingest template a --keep run left (same schema version only)",
    )
    ap.add_argument(
        "--statements",
        type=int,
        default=0,
        metavar="N",
        help="print the N slowest SQL statements of each ingest run",
    )
    ap.add_argument(
        "--explain",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="log EXPLAIN ANALYZE of statements slower than this to the server log",
    )
    ap.add_argument(
        "--plan-workers",
        type=int,
        default=None,
        metavar="N",
        help="groups of branches planned side by side (default: shikaku's default, 2)",
    )
    args = ap.parse_args(argv)
    if not args.url.startswith("postgresql"):
        print("PostgreSQL only", file=sys.stderr)
        return 2
    print(f"bench_mail: {args}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        if not args.skip_ingest:
            print(f"building ingest database: {args.pieces:,} posted pieces", flush=True)
            tpl = "shikaku_bench_mail_ingest_tpl"
            tpl_url = make_url(args.url).set(database=tpl).render_as_string(hide_password=False)
            if not (args.reuse and template_current(args.url, tpl_url)):
                build_ingest_db(recreate(args.url, tpl), args.pieces, args.employers)
            csv_path = tmpdir / "returns.csv"
            write_csv(
                tpl_url,
                csv_path,
                args.returns,
                args.pieces,
                args.seed,
            )
            print(f"CSV: {csv_path.stat().st_size / 1e6:.1f} MB, {args.returns:,} rows", flush=True)
            runs: list[dict[str, float]] = []
            copies: list[float] = []
            for i in range(args.runs):
                db = recreate(args.url, "shikaku_bench_mail_run", template=tpl)
                copies.append(time_copy(db, csv_path))
                r = time_ingest(
                    db, csv_path, tmpdir, args.statements, args.explain, args.plan_workers
                )
                runs.append(r)
                print(
                    f"run {i + 1}: COPY {copies[-1]:.2f} s · import {r['import_s']:.2f} s · "
                    f"plan re-route {r['plan_s']:.2f} s · recorded {r['recorded']:,.0f} · "
                    f"envelopes {r['envelopes']:,.0f} · pieces {r['pieces']:,.0f} · "
                    f"sample {r['sample_envelopes']:.0f} covers / {r['sample_pages']:.0f} pages "
                    f"in {r['sample_render_s']:.2f} s",
                    flush=True,
                )
            drop(args.url, "shikaku_bench_mail_run")
            if not args.keep:
                drop(args.url, tpl)
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            copy_s = statistics.median(copies)
            total = med["import_s"] + med["plan_s"]
            pages_s = med["sample_pages"] / med["sample_render_s"]
            all_pages_est = med["sample_pages"] / med["sample_envelopes"] * med["envelopes"]
            print("\n== ingest + re-route (medians) ==")
            print(f"COPY ceiling:      {copy_s:7.2f} s  {args.returns / copy_s:12,.0f} rows/s")
            imp, plan = med["import_s"], med["plan_s"]
            print(f"import (intake):   {imp:7.2f} s  {args.returns / imp:12,.0f} events/s")
            print(f"plan re-route:     {plan:7.2f} s  {med['pieces'] / plan:12,.0f} pieces/s")
            print(f"import + re-route: {total:7.2f} s  {args.returns / total:12,.0f} events/s")
            print(
                f"  recorded {med['recorded']:,.0f}, re-routed {med['pieces']:,.0f} pieces in "
                f"{med['envelopes']:,.0f} employer envelopes ({med['files']:,.0f} files)"
            )
            print(
                f"cover letters: {pages_s:,.0f} pages/s on one core (sample of "
                f"{med['sample_envelopes']:.0f} envelopes); all {all_pages_est:,.0f} pages "
                f"≈ {all_pages_est / pages_s:,.0f} s single-process (not timed)"
            )
        if not args.skip_reconcile:
            print(f"\nbuilding reconcile database: {args.reconcile_pieces:,} pieces", flush=True)
            tpl = "shikaku_bench_mail_reconcile"
            db = recreate(args.url, tpl)
            t = time.perf_counter()
            build_reconcile_db(db, args.reconcile_pieces)
            print(f"  built in {time.perf_counter() - t:.0f} s", flush=True)
            times = []
            for i in range(args.runs):
                s, ok, n = time_reconcile(db)
                times.append(s)
                print(
                    f"run {i + 1}: reconcile {s:.2f} s over {n:,} pieces, balanced={ok}", flush=True
                )
            if not args.keep:
                drop(args.url, tpl)
            print("\n== reconcile (median) ==")
            med_r = statistics.median(times)
            print(f"reconcile: {med_r:.2f} s over {n:,} pieces ({n / med_r:,.0f} pieces/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
