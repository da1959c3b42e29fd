"""Scanning returned envelopes: real PNGs rendered from the issuance and re-routing PDFs
(pdftoppm), decoded with zxing-cpp, recorded through the ``shikaku mail scan`` command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageFilter
from sqlalchemy import select
from typer.testing import CliRunner

from shikaku.actors import SYSTEM
from shikaku.issuance.tables import mail_piece, print_batch
from shikaku.mail.ids import IdKind
from shikaku.mail.reroute import do_reroute
from shikaku.mail.scan import decode_image
from shikaku.mail.tables import reroute_batch, return_event

from .support import Mailing

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler")


def _page_png(pdf: Path, page: int, out: Path, dpi: int = 150) -> Path:
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile",
         str(pdf), str(out.with_suffix(""))],
        check=True,
    )  # fmt: skip
    return out


def _envelope_photo(png: Path, out: Path) -> Path:
    """What a scanning station sees: the top third of the letter (the window), slightly
    rotated, blurred, as a JPEG."""
    with Image.open(png) as img:
        window = img.crop((0, 0, img.width, img.height // 3)).convert("RGB")
    window = window.rotate(4, expand=True, fillcolor="white").filter(ImageFilter.GaussianBlur(1))
    window.save(out, quality=70)
    return out


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_scan_real_pages_and_record(mailing: Mailing, tmp_path: Path) -> None:
    m = mailing
    with m.app.engine.connect() as conn:
        rows = conn.execute(
            select(mail_piece.c.id, mail_piece.c.first_page, print_batch.c.file_name)
            .join(print_batch, print_batch.c.id == mail_piece.c.batch_id)
            .order_by(print_batch.c.seq, mail_piece.c.batch_pos)
            .limit(3)
        ).all()
    folder = m.out_dir / f"campaign-{m.campaign}"
    images = []
    for i, r in enumerate(rows):
        png = _page_png(folder / r.file_name, r.first_page, tmp_path / f"p{i}.png")
        hit = decode_image(png)
        assert hit.ids == [r.id], hit
        assert hit.hits[0].kind == IdKind.PIECE
        images.append(png)
    photo = _envelope_photo(images[0], tmp_path / "photo.jpg")
    assert decode_image(photo).ids == [rows[0].id]
    # a certificate sheet carries QR codes too, but none of them is a piece id
    sheet = _page_png(folder / rows[0].file_name, rows[0].first_page + 1, tmp_path / "sheet.png")
    res = decode_image(sheet)
    assert res.hits and res.ids == []
    blank = tmp_path / "blank.png"
    Image.new("L", (400, 300), 255).save(blank)
    (tmp_path / "broken.png").write_bytes(b"not an image")

    from shikaku.cli import CliContext
    from shikaku.mail.cli import app

    key = tmp_path / "k.key"
    key.write_text(bytes(range(32)).hex())
    obj = CliContext(database_url=str(m.app.engine.url), key_file=key)
    runner = CliRunner()
    images_args = [str(photo), *map(str, images[1:]), str(sheet), str(blank)]
    result = runner.invoke(
        app,
        ["scan", *images_args, str(tmp_path / "broken.png"), "--reason", "転居先不明",
         "--returned-on", "2025-09-05"],
        obj=obj,
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recorded" in result.output
    with m.app.engine.connect() as conn:
        recorded = set(conn.execute(select(return_event.c.piece_id)).scalars())
        sources = set(conn.execute(select(return_event.c.source)).scalars())
    assert recorded == {r.id for r in rows} and sources == {"scan"}
    # scanning the same envelopes again records nothing new
    again = runner.invoke(
        app, ["scan", str(photo), "--reason", "転居先不明"], obj=obj, env={"COLUMNS": "200"}
    )
    assert again.exit_code == 0 and "already-returned" in again.output

    # the employer envelope's cover letter carries the envelope id
    rep = do_reroute(m.app.engine, m.clock, actor=SYSTEM, out_dir=tmp_path / "rr")
    assert rep.envelopes >= 1
    with m.app.engine.connect() as conn:
        env = conn.execute(
            select(
                reroute_batch.c.envelope_id, reroute_batch.c.file_name, reroute_batch.c.first_page
            )
        ).first()
    assert env is not None
    cover = _page_png(tmp_path / "rr" / env.file_name, env.first_page, tmp_path / "cover.png")
    res = decode_image(cover)
    assert res.ids == [env.envelope_id] and res.hits[0].kind == IdKind.ENVELOPE
