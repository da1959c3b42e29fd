"""A small PDF 1.7 file writer: numbered objects, Flate streams, a classic xref table.

Objects are written to the file as soon as they are complete, so memory stays flat for
thousands of pages. An object that depends on things known only later (the font subset, the
page tree) gets its number from :meth:`PdfWriter.reserve` first and is written at the end.
The bytes are hashed while they are written, so the SHA-256 of the file comes for free.

Values are given as already serialised PDF syntax (``"<< /Type /Page ... >>"``); the helpers
:func:`name`, :func:`string`, :func:`ref` and :func:`array` cover the few cases that need escaping.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
COMPRESS_LEVEL = 3  # vs 6: twice as fast, content streams ~15% larger


def ref(number: int) -> str:
    """An indirect reference ``n 0 R``."""
    return f"{number} 0 R"


def name(value: str) -> str:
    """A PDF name; characters outside the regular set are #-escaped."""
    out = []
    for ch in value:
        if "!" <= ch <= "~" and ch not in "#%()/<>[]{}":
            out.append(ch)
        else:
            out.extend(f"#{b:02X}" for b in ch.encode("utf-8"))
    return "/" + "".join(out)


def string(value: str) -> str:
    """A PDF text string: literal ASCII when possible, else UTF-16BE with a BOM, in hex."""
    if value.isascii():
        escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return f"({escaped})"
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"


def array(items: Iterable[object]) -> str:
    return "[" + " ".join(str(i) for i in items) + "]"


class PdfWriter:
    """Write one PDF file object by object. Use as a context manager or call :meth:`close`.

    The file is written as ``<path>.part`` and renamed into place by :meth:`finish`, so a crash
    never leaves a truncated PDF under the final name.
    """

    def __init__(self, path: Path, *, compress_level: int = COMPRESS_LEVEL) -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(self.path.name + ".part")
        self._fh: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 - closed in finish/close
        self._hash = hashlib.sha256()
        self._pos = 0
        self._offsets: dict[int, int] = {}
        self._next = 1
        self.compress_level = compress_level
        self._write(HEADER)

    # -- low level --------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self._fh.write(data)
        self._hash.update(data)
        self._pos += len(data)

    def reserve(self) -> int:
        """Allocate an object number to be written later with :meth:`write`."""
        number = self._next
        self._next += 1
        return number

    def write(self, number: int, body: str | bytes) -> int:
        """Write object ``number`` with a serialised body; returns the number."""
        if number in self._offsets:
            raise ValueError(f"object {number} written twice")
        self._offsets[number] = self._pos
        data = body.encode("latin-1") if isinstance(body, str) else body
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, data))
        return number

    def add(self, body: str | bytes) -> int:
        """Write a new object now; returns its number."""
        return self.write(self.reserve(), body)

    def write_stream(
        self, number: int, dictionary: str, data: bytes, *, compress: bool = True
    ) -> int:
        """Write a stream object; ``dictionary`` holds the entries without ``/Length``."""
        if compress:
            data = zlib.compress(data, self.compress_level)
            dictionary += " /Filter /FlateDecode"
        self._offsets[number] = self._pos
        head = b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (
            number,
            dictionary.encode("latin-1"),
            len(data),
        )
        self._write(head + data + b"\nendstream\nendobj\n")
        return number

    def add_stream(self, dictionary: str, data: bytes, *, compress: bool = True) -> int:
        return self.write_stream(self.reserve(), dictionary, data, compress=compress)

    # -- finishing ---------------------------------------------------------------------------

    def finish(self, *, root: int, info: int | None = None, file_id: bytes | None = None) -> str:
        """Write the xref table and trailer, close and rename the file; return its SHA-256."""
        missing = [n for n in range(1, self._next) if n not in self._offsets]
        if missing:
            raise ValueError(f"reserved objects never written: {missing[:10]}")
        xref_pos = self._pos
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % self._next]
        lines += [b"%010d 00000 n \n" % self._offsets[n] for n in range(1, self._next)]
        self._write(b"".join(lines))
        trailer = f"<< /Size {self._next} /Root {ref(root)}"
        if info is not None:
            trailer += f" /Info {ref(info)}"
        if file_id is not None:
            h = file_id.hex().upper()
            trailer += f" /ID [<{h}> <{h}>]"
        self._write(f"trailer\n{trailer} >>\nstartxref\n{xref_pos}\n%%EOF\n".encode("latin-1"))
        self._fh.close()
        os.replace(self._tmp, self.path)
        return self._hash.hexdigest()

    def close(self) -> None:
        """Abandon an unfinished file (removes the ``.part`` file)."""
        if not self._fh.closed:
            self._fh.close()
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> PdfWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def object_count(self) -> int:
        return self._next - 1
