"""My Numbers on file, and the My Number card with its insurance registration (マイナ保険証)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from shikaku.synth import pyramid as P
from shikaku.synth.datearrays import NAT, day, on_day, ymd

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
DateArray = npt.NDArray[np.datetime64]
ObjArray = npt.NDArray[np.object_]

_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_POWERS = tuple(10**k for k in range(10, -1, -1))


def my_number_check_digits(bodies: IntArray) -> IntArray:
    """Check digits for 11-digit bodies given as integers (vectorised form of
    :func:`shikaku.domain.ids.my_number.calc_check_digit`; the tests compare the two)."""
    total = np.zeros(len(bodies), dtype=np.int64)
    for power, weight in zip(_POWERS, _WEIGHTS, strict=True):
        total += weight * ((bodies // power) % 10)
    remainder = total % 11
    return np.where(remainder <= 1, 0, 11 - remainder)


def my_numbers(rng: np.random.Generator, n: int) -> ObjArray:
    """``n`` distinct valid 12-digit My Numbers (random bodies plus check digit)."""
    chosen: IntArray = np.zeros(0, dtype=np.int64)
    while len(chosen) < n:
        merged = np.concatenate((chosen, rng.integers(0, 10**11, size=n - len(chosen) + 16)))
        _, first = np.unique(merged, return_index=True)
        chosen = merged[np.sort(first)]
    bodies = chosen[:n]
    full = bodies * 10 + my_number_check_digits(bodies)
    return np.array([f"{v:012d}" for v in full.tolist()], dtype=object)


def ecert_expiry(rng: np.random.Generator, birth: DateArray, as_of: date) -> DateArray:
    """E-certificate expiry: a birthday (it runs to the 5th birthday after issue) within five
    years around ``as_of``: one of the five birthdays after ``as_of`` − 1 year, at least the
    5th birthday; most holders whose certificate expired in that past year renewed it."""
    n = len(birth)
    start = as_of - timedelta(days=365)
    y, m, d = ymd(birth)
    # First birthday strictly after `start`.
    first_year = np.where(
        on_day(np.full(n, start.year), m, d) > day(start), start.year, start.year + 1
    )
    year = np.maximum(first_year + rng.integers(0, 5, size=n), y + 5)
    expiry = on_day(year, m, d)
    renewed = (expiry <= day(as_of)) & (rng.random(n) < P.ECERT_RENEWED_SHARE)
    return on_day(np.where(renewed, year + 5, year), m, d)


def myna_status_table(
    rng: np.random.Generator,
    person_id: IntArray,
    age: IntArray,
    birth: DateArray,
    foreign: BoolArray,
    as_of: date,
) -> dict[str, npt.NDArray[Any]]:
    """Card held, registered, cancelled, returned, e-certificate expiry and an opaque card key,
    with uptake by age. A returned card counts as held (so both reasons stay visible)."""
    n = len(person_id)
    p_card = P.MYNA_CARD_BY_AGE[age] * np.where(foreign, P.MYNA_FOREIGN_FACTOR, 1.0)
    card = rng.random(n) < p_card
    registered = card & (rng.random(n) < P.MYNA_REGISTERED_BY_AGE[age])
    cancelled = registered & (rng.random(n) < P.MYNA_CANCELLED_SHARE)
    returned = card & (rng.random(n) < P.MYNA_RETURNED_SHARE)
    expiry = ecert_expiry(rng, birth, as_of)
    n_card = int(card.sum())
    keys = rng.bytes(16 * n_card).hex()
    card_key = np.full(n, None, dtype=object)
    card_key[card] = np.array([keys[i : i + 32] for i in range(0, 32 * n_card, 32)], dtype=object)
    return {
        "person_id": person_id,
        "card_held": card,
        "card_returned": returned,
        "insurance_registered": registered,
        "registration_cancelled": cancelled,
        "ecert_expiry": np.where(card, expiry, NAT).astype("datetime64[D]"),
        "card_key": card_key,
        "as_of": np.full(n, day(as_of), dtype="datetime64[D]"),
    }
