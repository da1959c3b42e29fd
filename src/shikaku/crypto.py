"""Encryption of the My Number at rest (AES-256-GCM) and a keyed blind index for look-ups.

The key never enters the database: it comes from settings (hex) or a key file. The blind index is
an HMAC-SHA256 under a sub-key derived with HKDF, so equality look-ups work without decrypting
and without storing a plain hash that could be brute-forced over the 10^11 possible numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32


class KeyError_(Exception):
    """The encryption key is missing or malformed."""


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class MyNumberCipher:
    """Encrypts and decrypts 12-digit My Numbers; computes their blind index."""

    master_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.master_key) != KEY_BYTES:
            raise KeyError_("the My Number key must be 32 bytes / 暗号鍵は32バイトが必要です")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"key-id" + self.master_key).hexdigest()[:16]

    @property
    def _aead(self) -> AESGCM:
        return AESGCM(_derive(self.master_key, b"shikaku my-number aes-gcm v1"))

    @property
    def _index_key(self) -> bytes:
        return _derive(self.master_key, b"shikaku my-number blind-index v1")

    def encryptor(self) -> BulkEncryptor:
        """A reusable encryptor for bulk loads (derives the sub-keys once)."""
        return BulkEncryptor(self._aead, self._index_key, self.key_id)

    def encrypt(self, number: str) -> bytes:
        return self.encryptor().encrypt(number)

    def decrypt(self, blob: bytes) -> str:
        nonce, ct = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        return self._aead.decrypt(nonce, ct, b"my_number").decode("ascii")

    def blind_index(self, number: str) -> bytes:
        return hmac.new(self._index_key, number.encode("ascii"), hashlib.sha256).digest()


class BulkEncryptor:
    """Holds derived keys so each encryption costs one AES-GCM call."""

    __slots__ = ("_aead", "_index_key", "key_id")

    def __init__(self, aead: AESGCM, index_key: bytes, key_id: str) -> None:
        self._aead = aead
        self._index_key = index_key
        self.key_id = key_id

    def encrypt(self, number: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, number.encode("ascii"), b"my_number")

    def blind_index(self, number: str) -> bytes:
        return hmac.new(self._index_key, number.encode("ascii"), hashlib.sha256).digest()


def load_key(*, key_hex: str | None, key_file: Path | None, create: bool = False) -> bytes:
    """Read the master key from hex or a key file; optionally create the file (mode 0600)."""
    if key_hex:
        try:
            key = bytes.fromhex(key_hex.strip())
        except ValueError as exc:
            raise KeyError_("SHIKAKU_KEY is not hex / SHIKAKU_KEY が16進数ではありません") from exc
        if len(key) != KEY_BYTES:
            raise KeyError_("SHIKAKU_KEY must be 64 hex digits / 64桁の16進数が必要です")
        return key
    if key_file is None:
        raise KeyError_("no key configured / 暗号鍵が設定されていません (SHIKAKU_KEY_FILE)")
    if not key_file.exists():
        if not create:
            raise KeyError_(f"key file not found / 鍵ファイルがありません: {key_file}")
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    return load_key(key_hex=key_file.read_text().strip(), key_file=None)
