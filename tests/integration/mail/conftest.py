"""Fixtures for returned-mail integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from shikaku.crypto import MyNumberCipher

from .support import Mailing, make_mailing


@pytest.fixture
def mailing(engine: Engine, cipher: MyNumberCipher, tmp_path: Path) -> Mailing:
    return make_mailing(engine, cipher, tmp_path / "print")
