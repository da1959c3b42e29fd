"""Row formatting for COPY and executemany, and encryption, without a database."""

from __future__ import annotations

import numpy as np

from shikaku.crypto import MyNumberCipher
from shikaku.synth.load import EncryptionJob, copy_text, my_number_table, sqlite_rows
from shikaku.synth.population import Population

SYNTH_TEST_KEY = bytes(range(32))


def _table() -> dict[str, np.ndarray]:
    return {
        "id": np.array([1, 2, 3], dtype=np.int64),
        "name": np.array(["佐藤\t太郎", None, "a\\b\nc"], dtype=object),
        "day": np.array(["2025-04-30", "NaT", "1950-01-01"], dtype="datetime64[D]"),
        "flag": np.array([True, False, True]),
        "pay": np.ma.masked_array([300_000, 0, 58_000], mask=[False, True, False]),
        "blob": np.array([b"\x00\xff", b"ab", b""], dtype=object),
    }


def test_copy_text_escapes_and_nulls() -> None:
    text = copy_text(_table(), 0, 3).decode("utf-8")
    lines = text.split("\n")
    assert lines[-1] == ""
    assert lines[0] == "1\t佐藤\\t太郎\t2025-04-30\tt\t300000\t\\\\x00ff"
    assert lines[1] == "2\t\\N\t\\N\tf\t\\N\t\\\\x6162"
    assert lines[2] == "3\ta\\\\b\\nc\t1950-01-01\tt\t58000\t\\\\x"


def test_copy_text_slices() -> None:
    assert copy_text(_table(), 1, 2).decode().startswith("2\t")


def test_sqlite_rows_use_sqlalchemy_storage_formats() -> None:
    rows = sqlite_rows(_table(), 0, 3)
    assert rows[0] == (1, "佐藤\t太郎", "2025-04-30", 1, 300_000, b"\x00\xff")
    assert rows[1] == (2, None, None, 0, None, b"ab")


def test_encryption_round_trips(synth_pop_50k: Population) -> None:
    cipher = MyNumberCipher(SYNTH_TEST_KEY)
    numbers = synth_pop_50k.my_number["number"][:300].tolist()
    enc = EncryptionJob(numbers, cipher).result()
    assert [cipher.decrypt(c) for c in enc.ciphertext] == numbers
    assert enc.blind_index == [cipher.blind_index(n) for n in numbers]
    assert len(set(enc.ciphertext)) == len(numbers)  # random nonces
    assert enc.key_id == cipher.key_id


def test_my_number_rows(synth_pop_50k: Population) -> None:
    cipher = MyNumberCipher(SYNTH_TEST_KEY)
    enc = EncryptionJob(synth_pop_50k.my_number["number"].tolist(), cipher).result()
    table = my_number_table(synth_pop_50k, enc)
    assert list(table) == ["person_id", "ciphertext", "key_id", "blind_index", "last4"]
    first = synth_pop_50k.my_number["number"][0]
    assert table["last4"][0] == first[-4:]
    assert cipher.decrypt(table["ciphertext"][0]) == first
