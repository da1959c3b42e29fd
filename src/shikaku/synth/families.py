"""Families: an insured person and their dependants (spouse, children 0–22, a parent), and
their expansion into one row per member in 枝番 order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from shikaku.domain.age import latest_birth_reached
from shikaku.synth import pyramid as P
from shikaku.synth.datearrays import births_for_ages, day

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
DateArray = npt.NDArray[np.datetime64]

#: Roles inside a family (not stored; they decide ages, sex and 枝番 order).
ROLE_INSURED, ROLE_SPOUSE, ROLE_CHILD, ROLE_PARENT = 0, 1, 2, 3


@dataclass
class Families:
    """One entry per family: the insured person's age and sex, and dependants by kind."""

    age: IntArray
    male: BoolArray
    spouse: IntArray
    children: IntArray
    parent: IntArray

    def take(self, index: IntArray) -> Families:
        return Families(
            self.age[index],
            self.male[index],
            self.spouse[index],
            self.children[index],
            self.parent[index],
        )

    @property
    def size(self) -> IntArray:
        return 1 + self.spouse + self.children + self.parent

    def __len__(self) -> int:
        return len(self.age)


def children_scale() -> float:
    """Scale the children rates so dependants per insured match 14.0 : 25.7 on average."""
    ages = np.arange(P.MIN_INSURED_AGE, P.MAX_AGE + 1)
    pmf = P.insured_age_pmf()
    male = P.insured_male_share()
    spouse = male * P.SPOUSE_OF_MALE[ages] + (1 - male) * P.SPOUSE_OF_FEMALE[ages]
    children = (male + (1 - male) * P.CHILDREN_FEMALE_FACTOR) * P.CHILDREN_OF_MALE[ages]
    children = children * (ages <= P.MAX_AGE_WITH_CHILDREN)
    fixed = float(pmf @ (spouse + P.PARENT_DEPENDANT[ages]))
    return (P.DEPENDANTS_PER_INSURED - fixed) / float(pmf @ children)


def _draw(rng: np.random.Generator, n: int, scale: float) -> Families:
    ages = rng.choice(
        np.arange(P.MIN_INSURED_AGE, P.MAX_AGE + 1), size=n, p=P.insured_age_pmf()
    ).astype(np.int64)
    male = rng.random(n) < P.insured_male_share()[ages - P.MIN_INSURED_AGE]
    p_spouse = np.where(male, P.SPOUSE_OF_MALE[ages], P.SPOUSE_OF_FEMALE[ages])
    spouse = (rng.random(n) < p_spouse).astype(np.int64)
    lam = P.CHILDREN_OF_MALE[ages] * np.where(male, 1.0, P.CHILDREN_FEMALE_FACTOR) * scale
    lam = lam * (ages <= P.MAX_AGE_WITH_CHILDREN)
    children = np.minimum(rng.poisson(lam), P.MAX_CHILDREN).astype(np.int64)
    parent = (rng.random(n) < P.PARENT_DEPENDANT[ages]).astype(np.int64)
    return Families(ages, male, spouse, children, parent)


def families_for(rng: np.random.Generator, members: int) -> Families:
    """Draw families until they hold ``members`` people; trim the last family to fit."""
    scale = children_scale()
    per_family = 1 + P.DEPENDANTS_PER_INSURED
    batches: list[Families] = []
    total = 0
    while total < members:
        batch = _draw(rng, int((members - total) / per_family * 1.05) + 16, scale)
        batches.append(batch)
        total += int(batch.size.sum())
    fam = Families(
        *(
            np.concatenate([getattr(b, f) for b in batches])
            for f in ("age", "male", "spouse", "children", "parent")
        )
    )
    cum = np.cumsum(fam.size)
    count = int(np.searchsorted(cum, members) + 1)
    fam = fam.take(np.arange(count))
    room = members - (int(cum[count - 2]) if count > 1 else 0) - 1  # dependants that fit
    last = count - 1
    fam.spouse[last] = min(int(fam.spouse[last]), room)
    room -= int(fam.spouse[last])
    fam.children[last] = min(int(fam.children[last]), room)
    room -= int(fam.children[last])
    fam.parent[last] = min(int(fam.parent[last]), room)
    return fam


def repeat_offsets(sizes: IntArray) -> tuple[IntArray, IntArray]:
    """For groups of the given sizes laid end to end: group index and position of each row."""
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    group = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    position = np.arange(int(sizes.sum()), dtype=np.int64) - starts[group]
    return group, position


@dataclass
class Members:
    """One entry per member, in family order: insured person, spouse, children eldest first,
    parent. ``position`` is the 枝番."""

    family: IntArray
    position: IntArray
    role: IntArray
    age: IntArray
    birth: DateArray
    male: BoolArray

    @property
    def family_start(self) -> IntArray:
        """Row of each family's insured person."""
        return np.flatnonzero(self.position == 0)


def expand(rng: np.random.Generator, fam: Families, as_of: date) -> Members:
    """Rows for every member: role, legal age on ``as_of``, birth date and sex."""
    fam_of, pos = repeat_offsets(fam.size)
    n = len(fam_of)
    sp, ch = fam.spouse[fam_of], fam.children[fam_of]
    role = np.where(
        pos == 0,
        ROLE_INSURED,
        np.where(pos <= sp, ROLE_SPOUSE, np.where(pos <= sp + ch, ROLE_CHILD, ROLE_PARENT)),
    )
    ins_age, ins_male = fam.age[fam_of], fam.male[fam_of]
    gap = np.rint(rng.normal(*P.SPOUSE_AGE_GAP, size=n)).astype(np.int64)
    spouse_age = np.clip(
        np.where(ins_male, ins_age - gap, ins_age + gap), P.MIN_INSURED_AGE, P.MAX_AGE
    )
    lo_birth, hi_birth = P.PARENT_AGE_AT_BIRTH
    child_lo = np.maximum(0, ins_age - hi_birth)
    child_hi = np.minimum(P.MAX_CHILD_AGE, ins_age - lo_birth)
    child_span = np.maximum(child_hi - child_lo, 0) + 1
    child_age = child_lo + (rng.random(n) * child_span).astype(np.int64)
    g_lo, g_hi = P.PARENT_AGE_GAP
    parent_span = np.maximum(np.minimum(g_hi, P.MAX_AGE - ins_age) - g_lo, 0) + 1
    parent_age = np.minimum(
        ins_age + g_lo + (rng.random(n) * parent_span).astype(np.int64), P.MAX_AGE
    )
    age = np.select(
        [role == ROLE_INSURED, role == ROLE_SPOUSE, role == ROLE_CHILD],
        [ins_age, spouse_age, child_age],
        parent_age,
    ).astype(np.int64)
    # Insured persons are 18 on the as-of date and past their 18th birthday.
    latest_18 = day(latest_birth_reached(as_of, P.MIN_INSURED_AGE)) - np.timedelta64(1, "D")
    latest = np.where(role == ROLE_INSURED, latest_18, day(as_of)).astype("datetime64[D]")
    birth = births_for_ages(rng, age, as_of, latest, P.MAX_AGE)
    # Children eldest first, so 枝番 follow birth order.
    kids = np.flatnonzero(role == ROLE_CHILD)
    eldest_first = np.lexsort((birth[kids], fam_of[kids]))
    birth[kids] = birth[kids][eldest_first]
    age[kids] = age[kids][eldest_first]

    r = rng.random(n)
    male = np.select(
        [role == ROLE_INSURED, role == ROLE_SPOUSE, role == ROLE_CHILD],
        [ins_male, ~ins_male, r < P.BOY_SHARE],
        r >= P.PARENT_FEMALE_SHARE,
    ).astype(np.bool_)
    return Members(fam_of, pos, role, age, birth, male)
