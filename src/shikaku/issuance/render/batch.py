"""Render a batch of envelopes into one print-ready A4 PDF.

Per file: one subset font (built at the end from every character used), one Form XObject for
the static letter, one for the certificate-sheet header, one for the card face and one per
distinct sender; per page only the variable text, the QR codes and the customer barcode.
Envelope ``i`` takes page 1 (carrier letter) plus one sheet per 8 certificates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Final

from shikaku.issuance.render import certificate, letter
from shikaku.issuance.render.canvas import A4_H_PT, A4_W_PT, Canvas
from shikaku.issuance.render.font import FontUse, MissingGlyphsError, load_face
from shikaku.issuance.render.layout import (
    CARDS_PER_SHEET,
    DEFAULT_WINDOW,
    INK_LABEL,
    Window,
    default_letter_text,
)
from shikaku.issuance.render.model import (
    BatchResult,
    CertificateData,
    Envelope,
    LetterText,
    SenderBlock,
)
from shikaku.issuance.render.pdf import PdfWriter, array, ref, string

#: Upper bound of envelopes in one file: large enough to spread the font subset over many
#: pages, small enough for a print shop's RIP and for a rerun after a failure.
MAX_ENVELOPES_PER_FILE: Final = 1000
PRODUCER: Final = "shikaku issuance renderer"
MEDIA_BOX: Final = f"[0 0 {A4_W_PT:.2f} {A4_H_PT:.2f}]"


def sheets_for(members: int) -> int:
    """Certificate sheets an envelope with ``members`` certificates needs."""
    return -(-members // CARDS_PER_SHEET)


def envelope_texts(env: Envelope) -> Iterator[str]:
    """Every string of an envelope that will be drawn with the font."""
    s = env.sender
    yield from (env.piece_id, env.addressee_name, env.addressee_kana, *env.address_lines)
    yield from (
        s.org_name,
        s.branch_name,
        s.department,
        s.phone,
        s.phone_hours,
        s.website,
        *s.address_lines,
    )
    for m in env.members:
        yield from (
            m.name,
            m.name_kana,
            m.sex,
            m.symbol,
            m.number,
            m.branch_no,
            m.insurer_number,
            m.insurer_name,
        )


def check_glyphs(
    envelopes: Sequence[Envelope], font_path: Path | str | None = None
) -> dict[str, set[str]]:
    """Piece id → characters the font lacks, for every envelope that has any.

    Run before printing and hold those pieces back (names printed as empty boxes are
    worse than a late letter).
    """
    face = load_face(font_path)
    gid = face.gid
    out: dict[str, set[str]] = {}
    for env in envelopes:
        bad = {c for t in envelope_texts(env) for c in t if c not in gid and c >= " "}
        if bad:
            out[env.piece_id] = bad
    return out


def _sender_key(s: SenderBlock) -> tuple[object, ...]:
    return (
        s.org_name,
        s.branch_name,
        s.postal_code,
        tuple(s.address_lines),
        s.phone,
        s.phone_hours,
        s.department,
        s.website,
    )


class _Forms:
    """Form XObjects of one file, named TL (letter), TS (sheet), TC (card), S1.. (senders)."""

    def __init__(self, w: PdfWriter, font: FontUse, form_resources: int) -> None:
        self.w, self.font, self.res = w, font, form_resources
        self.refs: dict[str, int] = {}
        self._senders: dict[tuple[object, ...], str] = {}

    def add(self, key: str, canvas: Canvas) -> str:
        self.refs[key] = self.w.add_stream(
            f"/Type /XObject /Subtype /Form /BBox {MEDIA_BOX} /Resources {ref(self.res)}",
            canvas.content(),
        )
        return key

    def sender(self, s: SenderBlock) -> str:
        k = _sender_key(s)
        if k not in self._senders:
            c = Canvas(self.font)
            letter.sender_ops(c, s)
            letter.contact_ops(c, s)
            self._senders[k] = self.add(f"S{len(self._senders) + 1}", c)
        return self._senders[k]


def render_batch(
    envelopes: Sequence[Envelope],
    out_path: Path,
    *,
    font_path: Path | str | None = None,
    letter_text: LetterText | None = None,
    window: Window = DEFAULT_WINDOW,
    letter_date: date | None = None,
    title: str = "健康保険資格確認書",
) -> BatchResult:
    """Write ``envelopes`` into one PDF at ``out_path`` and describe what was written.

    ``letter_date`` defaults to the first certificate's issue date of each envelope.
    Raises :class:`MissingGlyphsError` (before writing anything) when a text uses a
    character the font lacks, and ``ValueError`` for an empty envelope or too many envelopes.
    """
    if len(envelopes) > MAX_ENVELOPES_PER_FILE:
        raise ValueError(f"at most {MAX_ENVELOPES_PER_FILE} envelopes per file")
    if not envelopes:
        raise ValueError("no envelopes to render")
    for env in envelopes:
        if not env.members:
            raise ValueError(f"envelope {env.piece_id} has no certificates")
    missing = check_glyphs(envelopes, font_path)
    if missing:
        raise MissingGlyphsError(missing)
    text = letter_text or default_letter_text()
    font = FontUse(load_face(font_path))
    out_path = Path(out_path)
    with PdfWriter(out_path) as w:
        pages_node, type0, resources = w.reserve(), w.reserve(), w.reserve()
        form_res = w.add(f"<< /Font << /F1 {ref(type0)} >> >>")
        forms = _Forms(w, font, form_res)
        c = Canvas(font)
        letter.draw_template(c, text)
        forms.add("TL", c)
        c = Canvas(font)
        certificate.draw_sheet_template(c, text.certificate_heading)
        forms.add("TS", c)
        c = Canvas(font)
        certificate.draw_card_template(c)
        forms.add("TC", c)

        kids: list[int] = []

        def page(canvas: Canvas) -> None:
            number = w.reserve()
            content = w.add_stream("", canvas.content())
            w.write(
                number,
                f"<< /Type /Page /Parent {ref(pages_node)} /MediaBox {MEDIA_BOX} "
                f"/Resources {ref(resources)} /Contents {ref(content)} >>",
            )
            kids.append(number)

        ranges: list[tuple[str, int, int]] = []
        for env in envelopes:
            first = len(kids) + 1
            n_sheets = sheets_for(len(env.members))
            c = Canvas(font)
            c.do("TL")
            letter.draw_variable(
                c,
                env,
                letter_date=letter_date or env.members[0].issue_date,
                window=window,
                sender_ref=forms.sender(env.sender),
                flyer_line=text.flyer_line,
                pages=1 + n_sheets,
            )
            page(c)
            for i in range(n_sheets):
                chunk = env.members[i * CARDS_PER_SHEET : (i + 1) * CARDS_PER_SHEET]
                page(_sheet(font, env, chunk, i, n_sheets))
            ranges.append((env.piece_id, first, len(kids)))

        font.write(w, type0)
        xobjects = " ".join(f"/{k} {ref(v)}" for k, v in forms.refs.items())
        w.write(resources, f"<< /Font << /F1 {ref(type0)} >> /XObject << {xobjects} >> >>")
        w.write(
            pages_node, f"<< /Type /Pages /Count {len(kids)} /Kids {array(ref(k) for k in kids)} >>"
        )
        info = w.add(f"<< /Producer {string(PRODUCER)} /Title {string(title)} >>")
        root = w.add(f"<< /Type /Catalog /Pages {ref(pages_node)} >>")
        file_id = hashlib.sha256("\n".join(e.piece_id for e in envelopes).encode()).digest()[:16]
        sha = w.finish(root=root, info=info, file_id=file_id)
    return BatchResult(path=out_path, pages=len(kids), page_ranges=ranges, sha256=sha)


def _sheet(
    font: FontUse, env: Envelope, cards: Sequence[CertificateData], index: int, count: int
) -> Canvas:
    c = Canvas(font)
    c.do("TS")
    for slot, card in enumerate(cards):
        certificate.draw_card(c, slot, card, "TC")
    c.text(
        certificate.CARD_LEFT,
        290.0,
        f"{env.piece_id}　{index + 2}/{count + 1}",
        6.0,
        color=INK_LABEL,
    )
    return c
