"""Clinic clients: one per medical institution (医療機関コード), each with an API key.

The key is shown once, when created; the database keeps only its SHA-256 (the key carries 256
random bits, so a plain hash is enough — no password-style stretching needed) and its first
characters for display. :class:`Authenticator` caches look-ups per worker for a short time, so
a revoked key stops working within ``ttl`` seconds.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update

from shikaku.domain.errors import InvalidFormat
from shikaku.domain.normalize import compact_digits
from shikaku.eligibility.codes import DEFAULT_SCOPES, Scope
from shikaku.eligibility.tables import eligibility_client

KEY_PREFIX = "skk_"
DEFAULT_SCOPE_NAMES: tuple[str, ...] = tuple(str(s) for s in DEFAULT_SCOPES)
DISPLAY_CHARS = 12


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    institution_code: str
    name: str
    scopes: frozenset[str]
    rate_per_second: int
    burst: int
    key_prefix: str = ""
    created_at: datetime | None = None
    revoked_at: datetime | None = None


def validate_institution_code(value: str) -> str:
    """医療機関コード: 10 digits = prefecture (01–47) + 点数表 (1 医科, 3 歯科, 4 調剤, 6 訪問看護)
    + 7-digit institution number (its check digit is not verified: the rule is unconfirmed)."""
    code = compact_digits(value, field="institution_code")
    if not (code.isascii() and code.isdigit() and len(code) == 10):
        raise InvalidFormat(
            "institution_code.format",
            field="institution_code",
            message_ja="医療機関コードは10桁の数字です。",
            message_en="The medical institution code has 10 digits.",
        )
    if not 1 <= int(code[:2]) <= 47 or code[2] not in "1346":
        raise InvalidFormat(
            "institution_code.component",
            field="institution_code",
            message_ja="医療機関コードの都道府県番号(01〜47)または点数表番号(1,3,4,6)が正しくありません。",
            message_en="The prefecture (01-47) or fee-table digit (1, 3, 4, 6) is not valid.",
        )
    return code


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _client(row: object) -> Client:
    m = row._mapping  # type: ignore[attr-defined]
    return Client(
        id=int(m["id"]),
        institution_code=m["institution_code"],
        name=m["name"],
        scopes=frozenset(m["scopes"].split()),
        rate_per_second=int(m["rate_per_second"]),
        burst=int(m["burst"]),
        key_prefix=m["key_prefix"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


def do_create_client(
    conn: Connection,
    *,
    at: datetime,
    institution_code: str,
    name: str,
    scopes: tuple[str, ...] = DEFAULT_SCOPE_NAMES,
    rate_per_second: int = 20,
    burst: int = 40,
    key: str | None = None,
) -> tuple[Client, str]:
    """Create a client; return it and its API key (shown once, never stored)."""
    code = validate_institution_code(institution_code)
    unknown = set(scopes) - {str(s) for s in Scope}
    if unknown:
        raise ValueError(f"unknown scopes / 不明なスコープ: {sorted(unknown)}")
    if rate_per_second <= 0 or burst <= 0:
        raise ValueError("rate and burst must be positive / レートとバーストは正の数です")
    key = key or new_key()
    cid = conn.execute(
        insert(eligibility_client).values(
            institution_code=code,
            name=name,
            key_prefix=key[:DISPLAY_CHARS],
            key_hash=hash_key(key),
            scopes=" ".join(sorted(set(scopes))),
            rate_per_second=rate_per_second,
            burst=burst,
            created_at=at,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    row = conn.execute(select(eligibility_client).where(eligibility_client.c.id == cid)).one()
    return _client(row), key


def get_all(conn: Connection) -> list[Client]:
    """Every client, newest last."""
    return [
        _client(r)
        for r in conn.execute(select(eligibility_client).order_by(eligibility_client.c.id))
    ]


def do_revoke_client(conn: Connection, *, at: datetime, client_id: int) -> bool:
    """Revoke a client's key; False if unknown or already revoked."""
    result = conn.execute(
        update(eligibility_client)
        .where(eligibility_client.c.id == client_id, eligibility_client.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return bool(result.rowcount)


def get_by_key(conn: Connection, key: str) -> Client | None:
    """The live client holding *key*, or None."""
    row = conn.execute(
        select(eligibility_client).where(
            eligibility_client.c.key_hash == hash_key(key),
            eligibility_client.c.revoked_at.is_(None),
        )
    ).first()
    return None if row is None else _client(row)


class Authenticator:
    """Per-worker cache of key → client (positive and negative answers, ``ttl`` seconds)."""

    def __init__(self, engine: Engine, *, ttl: float = 30.0, max_entries: int = 10_000) -> None:
        self._engine = engine
        self._ttl = ttl
        self._max = max_entries
        self._cache: dict[str, tuple[Client | None, float]] = {}

    def authenticate(self, key: str) -> Client | None:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        if len(key) > 200 or not key.startswith(KEY_PREFIX):
            return None
        with self._engine.connect() as conn:
            client = get_by_key(conn, key)
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[key] = (client, now + self._ttl)
        return client
