"""Print-ready PDFs: carrier letters with certificate sheets, and simple table documents.

A small hand-written PDF writer (see docs/render.md for why): one subset TrueType font per
file, static content as Form XObjects, QR codes and the customer barcode as vector rectangles.

    from shikaku.issuance.render import render_batch, missing_glyphs, preflight
    result = render_batch(envelopes, Path("batch-0001.pdf"))
    problems = preflight(result.path, expected_pages=result.pages)
"""

from shikaku.issuance.render.batch import (
    MAX_ENVELOPES_PER_FILE,
    check_glyphs,
    render_batch,
    sheets_for,
)
from shikaku.issuance.render.document import Section, render_document, render_sections
from shikaku.issuance.render.font import DEFAULT_FONT_PATH, MissingGlyphsError, missing_glyphs
from shikaku.issuance.render.layout import DEFAULT_WINDOW, Window, default_letter_text, wareki
from shikaku.issuance.render.model import (
    BatchResult,
    CertificateData,
    Envelope,
    LetterText,
    SenderBlock,
)
from shikaku.issuance.render.preflight import Problem, preflight

__all__ = [
    "DEFAULT_FONT_PATH",
    "DEFAULT_WINDOW",
    "MAX_ENVELOPES_PER_FILE",
    "BatchResult",
    "CertificateData",
    "Envelope",
    "LetterText",
    "MissingGlyphsError",
    "Problem",
    "Section",
    "SenderBlock",
    "Window",
    "check_glyphs",
    "default_letter_text",
    "missing_glyphs",
    "preflight",
    "render_batch",
    "render_document",
    "render_sections",
    "sheets_for",
    "wareki",
]
