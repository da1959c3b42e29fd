from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

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
