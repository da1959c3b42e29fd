"""Helpers shared by the renderer tests (markers and poppler calls)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from shikaku.issuance.render import DEFAULT_FONT_PATH

needs_font = pytest.mark.skipif(
    not DEFAULT_FONT_PATH.exists(), reason="IPAexGothic (fonts-ipaexfont) is not installed"
)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed"
)


def poppler(*args: str) -> str:
    """Run a poppler tool and return its standard output."""
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout
