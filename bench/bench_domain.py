"""Benchmark the domain rules over a synthetic membership.

Evaluates, for every member on one day: the copayment share, whether the マイナ保険証 is
usable (e-certificate grace), and the primary reason to issue a 資格確認書. The vectorised
numpy functions run over N members (1,000,000 by default); the plain-Python scalar functions
run over a SAMPLE (100,000) as the baseline, in the same process. Each is timed RUNS times
and the medians are printed, with a markdown table for bench/README.md.

    .venv/bin/python bench/bench_domain.py [--n 1000000] [--sample 100000] [--runs 5]

Before timing, the script checks that the vectorised and scalar answers agree on the sample.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from shikaku.domain.copay import (
    COPAY_INVALID,
    COPAY_NOT_MEMBER,
    copay_ratio,
    copay_ratio_array,
)
from shikaku.domain.documents import myna_usable_array, myna_usable_on
from shikaku.domain.errors import InvalidDate, NotAMember
from shikaku.domain.targeting import (
    NO_REASON,
    TARGET_REASONS,
    primary_reason_array,
    target_reasons,
)

SEED = 20260131
ON = date(2026, 1, 31)


@dataclass(frozen=True)
class Population:
    """Column arrays for N synthetic members."""

    birth: npt.NDArray[np.datetime64]
    high_income: npt.NDArray[np.bool_]
    card_held: npt.NDArray[np.bool_]
    card_returned: npt.NDArray[np.bool_]
    registered: npt.NDArray[np.bool_]
    cancelled: npt.NDArray[np.bool_]
    ecert_expiry: npt.NDArray[np.datetime64]
    restricted: npt.NDArray[np.bool_]
    care_needs: npt.NDArray[np.bool_]
    card_lost: npt.NDArray[np.bool_]
    enrolment: npt.NDArray[np.bool_]


def make_population(n: int, seed: int = SEED) -> Population:
    """Ages 0–79 (a few already 75+ to exercise NotAMember), card and registration rates
    roughly as in late 2025 (80% hold a card, 87% of those registered)."""
    rng = np.random.default_rng(seed)
    on = np.datetime64(ON, "D")
    birth = on - rng.integers(0, 80 * 365, size=n).astype("timedelta64[D]")
    card_held = rng.random(n) < 0.80
    registered = card_held & (rng.random(n) < 0.87)
    cancelled = registered & (rng.random(n) < 0.01)
    expiry = np.datetime64("2021-01-01") + rng.integers(0, 10 * 365, size=n).astype(
        "timedelta64[D]"
    )
    expiry = np.where(card_held, expiry, np.datetime64("NaT"))
    return Population(
        birth=birth,
        high_income=rng.random(n) < 0.05,
        card_held=card_held,
        card_returned=~card_held & (rng.random(n) < 0.005),
        registered=registered,
        cancelled=cancelled,
        ecert_expiry=expiry.astype("datetime64[D]"),
        restricted=rng.random(n) < 0.001,
        care_needs=rng.random(n) < 0.002,
        card_lost=rng.random(n) < 0.003,
        enrolment=rng.random(n) < 0.01,
    )


# --- vectorised -------------------------------------------------------------------------


def vec_copay(p: Population) -> npt.NDArray[np.int8]:
    return copay_ratio_array(p.birth, ON, p.high_income)


def vec_myna(p: Population) -> npt.NDArray[np.bool_]:
    return myna_usable_array(ON, p.registered & ~p.cancelled, p.ecert_expiry)


def vec_target(p: Population) -> npt.NDArray[np.int8]:
    return primary_reason_array(
        ON,
        card_held=p.card_held,
        card_returned=p.card_returned,
        registered=p.registered,
        registration_cancelled=p.cancelled,
        ecert_expiry=p.ecert_expiry,
        restricted=p.restricted,
        care_needs_application=p.care_needs,
        card_lost_application=p.card_lost,
        enrolment_request=p.enrolment,
    )


# --- scalar (plain Python) ----------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """The sample as Python lists (converted before timing)."""

    birth: list[date]
    high_income: list[bool]
    card_held: list[bool]
    card_returned: list[bool]
    registered: list[bool]
    cancelled: list[bool]
    ecert_expiry: list[date | None]
    restricted: list[bool]
    care_needs: list[bool]
    card_lost: list[bool]
    enrolment: list[bool]


def to_rows(p: Population, k: int) -> Rows:
    def dates(a: npt.NDArray[np.datetime64]) -> list[date | None]:
        return [None if np.isnat(x) else x.astype(object) for x in a[:k]]

    def bools(a: npt.NDArray[np.bool_]) -> list[bool]:
        return [bool(x) for x in a[:k]]

    births = [d for d in dates(p.birth) if d is not None]
    return Rows(
        birth=births,
        high_income=bools(p.high_income),
        card_held=bools(p.card_held),
        card_returned=bools(p.card_returned),
        registered=bools(p.registered),
        cancelled=bools(p.cancelled),
        ecert_expiry=dates(p.ecert_expiry),
        restricted=bools(p.restricted),
        care_needs=bools(p.care_needs),
        card_lost=bools(p.card_lost),
        enrolment=bools(p.enrolment),
    )


def py_copay(r: Rows) -> list[int]:
    out = []
    for birth, high in zip(r.birth, r.high_income, strict=True):
        try:
            out.append(copay_ratio(birth, ON, high_income=high))
        except NotAMember:
            out.append(COPAY_NOT_MEMBER)
        except InvalidDate:
            out.append(COPAY_INVALID)
    return out


def py_myna(r: Rows) -> list[bool]:
    return [
        myna_usable_on(ON, registered=reg and not can, ecert_expiry=exp)
        for reg, can, exp in zip(r.registered, r.cancelled, r.ecert_expiry, strict=True)
    ]


def py_target(r: Rows) -> list[int]:
    index = {reason.code: i for i, reason in enumerate(TARGET_REASONS)}
    out = []
    for i in range(len(r.birth)):
        reasons = target_reasons(
            ON,
            card_held=r.card_held[i],
            card_returned=r.card_returned[i],
            registered=r.registered[i],
            registration_cancelled=r.cancelled[i],
            ecert_expiry=r.ecert_expiry[i],
            restricted=r.restricted[i],
            care_needs_application=r.care_needs[i],
            card_lost_application=r.card_lost[i],
            enrolment_request=r.enrolment[i],
        )
        out.append(index[reasons[0].code] if reasons else NO_REASON)
    return out


# --- harness --------------------------------------------------------------------------------


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    pop = make_population(args.n)
    rows = to_rows(pop, args.sample)
    k = args.sample

    # Correctness first: both paths must agree on the sample.
    assert vec_copay(pop)[:k].tolist() == py_copay(rows), "copay mismatch"
    assert vec_myna(pop)[:k].tolist() == py_myna(rows), "myna mismatch"
    assert vec_target(pop)[:k].tolist() == py_target(rows), "targeting mismatch"

    vec = {
        "copay": median_seconds(lambda: vec_copay(pop), args.runs),
        "myna usable": median_seconds(lambda: vec_myna(pop), args.runs),
        "targeting": median_seconds(lambda: vec_target(pop), args.runs),
    }
    vec["all three"] = median_seconds(
        lambda: (vec_copay(pop), vec_myna(pop), vec_target(pop)), args.runs
    )
    py = {
        "copay": median_seconds(lambda: py_copay(rows), args.runs),
        "myna usable": median_seconds(lambda: py_myna(rows), args.runs),
        "targeting": median_seconds(lambda: py_target(rows), args.runs),
    }
    py["all three"] = median_seconds(
        lambda: (py_copay(rows), py_myna(rows), py_target(rows)), args.runs
    )

    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, "
        f"N={args.n:,} vectorised, {k:,} scalar, medians of {args.runs} runs, on={ON}"
    )
    print("| rule | vectorised members/s | plain Python members/s | ratio |")
    print("|---|---:|---:|---:|")
    for name in vec:
        v_rate = args.n / vec[name]
        p_rate = k / py[name]
        print(f"| {name} | {v_rate:,.0f} | {p_rate:,.0f} | {v_rate / p_rate:,.0f}× |")


if __name__ == "__main__":
    main()
