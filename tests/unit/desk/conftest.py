"""Fixtures for the desk tests: the real FAQ content, a built index, small plans."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shikaku.config import DEFAULT_LANGUAGES
from shikaku.desk.content import FaqBase, default_content_dir, load_content
from shikaku.desk.search import FaqIndex

DATA = Path(__file__).parent / "data"
CONTENT_DIR = default_content_dir()


@pytest.fixture(scope="session")
def faq_base() -> FaqBase:
    return load_content(CONTENT_DIR, DEFAULT_LANGUAGES)


@pytest.fixture(scope="session")
def faq_index(faq_base: FaqBase) -> FaqIndex:
    return FaqIndex(faq_base)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of content/faq to break on purpose."""
    target = tmp_path / "faq"
    shutil.copytree(CONTENT_DIR, target)
    return target
