from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, inspect, text

from shikaku.db.engine import downgrade, make_engine, upgrade
from shikaku.db.tables import metadata


def test_upgrade_creates_every_table_and_is_idempotent(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(eng)
    upgrade(eng)  # a second run is a no-op
    assert set(metadata.tables) <= set(inspect(eng).get_table_names())


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(eng)
    downgrade(eng, "base")
    assert set(inspect(eng).get_table_names()) == {"alembic_version"}
    upgrade(eng)
    assert "membership" in inspect(eng).get_table_names()


@pytest.mark.postgres
def test_schema_matches_models_on_postgres(pg_database_url: str | None) -> None:
    if pg_database_url is None:
        pytest.skip("SHIKAKU_TEST_DATABASE_URL not set")
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    eng = make_engine(pg_database_url)
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


# --- index migrations on PostgreSQL (shikaku.db.online) ------------------------------------------

MEMBERSHIP_NUMBER = "ix_membership_branch_number"
BIRTH_DATE = "ix_person_birth_date"
MEMBER_PERSON = "ix_membership_person"


def _indexes(eng: Engine, table: str) -> dict[str, list[str | None]]:
    return {str(ix["name"]): list(ix["column_names"]) for ix in inspect(eng).get_indexes(table)}


def _valid(eng: Engine, name: str) -> bool | None:
    with eng.connect() as conn:
        row = conn.execute(
            text("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:n)"), {"n": name}
        ).first()
    return None if row is None else bool(row[0])


@pytest.mark.postgres
def test_index_migrations_build_and_drop_concurrently_on_postgres(empty_pg_url: str) -> None:
    eng = make_engine(empty_pg_url)
    upgrade(eng, "0012")
    assert _indexes(eng, "membership")[MEMBERSHIP_NUMBER] == ["branch_code", "number", "branch_no"]
    statements: list[str] = []

    @event.listens_for(eng, "before_cursor_execute")
    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    upgrade(eng, "0013")
    assert _indexes(eng, "membership")[MEMBERSHIP_NUMBER] == [
        "branch_code",
        "number",
        "branch_no",
        "symbol",
    ]
    assert f"{MEMBERSHIP_NUMBER}_new" not in _indexes(eng, "membership")
    upgrade(eng, "0015")
    ddl = [s for s in statements if " INDEX " in f" {s} "]
    assert ddl == [
        f"DROP INDEX CONCURRENTLY IF EXISTS {MEMBERSHIP_NUMBER}_new",
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {MEMBERSHIP_NUMBER}_new ON membership "
        "(branch_code, number, branch_no, symbol)",
        f"DROP INDEX CONCURRENTLY IF EXISTS {MEMBERSHIP_NUMBER}",
        f'ALTER INDEX IF EXISTS "{MEMBERSHIP_NUMBER}_new" RENAME TO "{MEMBERSHIP_NUMBER}"',
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {BIRTH_DATE} ON person (birth_date)",
        f"DROP INDEX CONCURRENTLY IF EXISTS {MEMBERSHIP_NUMBER}",
    ]
    assert MEMBERSHIP_NUMBER not in _indexes(eng, "membership")
    assert _valid(eng, BIRTH_DATE) is True
    statements.clear()
    upgrade(eng, "0016")  # two indexes rebuilt under a temporary name and swapped in
    ddl = [s for s in statements if " INDEX " in f" {s} "]
    assert ddl == [
        f"DROP INDEX CONCURRENTLY IF EXISTS {BIRTH_DATE}_new",
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {BIRTH_DATE}_new ON person (birth_date, id)",
        f"DROP INDEX CONCURRENTLY IF EXISTS {BIRTH_DATE}",
        f'ALTER INDEX IF EXISTS "{BIRTH_DATE}_new" RENAME TO "{BIRTH_DATE}"',
        f"DROP INDEX CONCURRENTLY IF EXISTS {MEMBER_PERSON}_new",
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {MEMBER_PERSON}_new ON membership "
        "(person_id, branch_code, number, branch_no)",
        f"DROP INDEX CONCURRENTLY IF EXISTS {MEMBER_PERSON}",
        f'ALTER INDEX IF EXISTS "{MEMBER_PERSON}_new" RENAME TO "{MEMBER_PERSON}"',
    ]
    assert _indexes(eng, "person")[BIRTH_DATE] == ["birth_date", "id"]
    assert _valid(eng, MEMBER_PERSON) is True
    downgrade(eng, "0012")
    assert _indexes(eng, "membership")[MEMBERSHIP_NUMBER] == ["branch_code", "number", "branch_no"]
    assert BIRTH_DATE not in _indexes(eng, "person")
    assert _indexes(eng, "membership")[MEMBER_PERSON] == ["person_id"]
    eng.dispose()


@pytest.mark.postgres
def test_an_interrupted_concurrent_build_is_finished_by_the_next_run(empty_pg_url: str) -> None:
    eng = make_engine(empty_pg_url)
    upgrade(eng, "0013")
    # What a concurrent build stopped halfway leaves behind: an INVALID index of that name
    # (made here by hand; the test user is a superuser, as on the CI machine).
    with eng.begin() as conn:
        conn.execute(text(f"CREATE INDEX {BIRTH_DATE} ON person (sex)"))
        conn.execute(
            text("UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(:n)"),
            {"n": BIRTH_DATE},
        )
    assert _valid(eng, BIRTH_DATE) is False
    upgrade(eng, "0014")
    assert _valid(eng, BIRTH_DATE) is True
    assert _indexes(eng, "person")[BIRTH_DATE] == ["birth_date"]

    # A rebuild stopped after its new index was built, here with other columns (as a stopped
    # upgrade leaves it for the downgrade): the next run builds it afresh and swaps it in.
    downgrade(eng, "0012")
    with eng.begin() as conn:
        conn.execute(text(f"CREATE INDEX {MEMBERSHIP_NUMBER}_new ON membership (person_id)"))
    upgrade(eng, "0013")
    indexes = _indexes(eng, "membership")
    assert f"{MEMBERSHIP_NUMBER}_new" not in indexes
    assert indexes[MEMBERSHIP_NUMBER] == ["branch_code", "number", "branch_no", "symbol"]
    eng.dispose()
