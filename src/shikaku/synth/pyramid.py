"""Shape parameters of the synthetic insurer: age pyramid, families, pay, Myna card uptake.

Everything here is data, not logic, so that a reader can check one table against its source
and a test can patch one figure. Figures are approximations of public statistics for 協会けんぽ
(FY2024: 25.7M insured, 14.0M dependants, 215k 任意継続; shared/domain.md Part B §9.1) and of
the national My Number card figures (§4: 79.6% hold a card, 87.4% of holders registered), tuned
so that about 29% of members need a 資格確認書 on 2025-04-30 (11.6M of 40M).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# fmt: off

#: Dependants per insured person (14.0M / 25.7M).
DEPENDANTS_PER_INSURED: Final = 13_980 / 25_733
#: Share of insured persons who are 任意継続 (voluntary continued), 215k / 25.7M.
VOLUNTARY_SHARE: Final = 215 / 25_733
#: Share of members whose membership ended during the year before the as-of date.
ENDED_SHARE: Final = 0.01
#: Share of members with a My Number on file.
MY_NUMBER_SHARE: Final = 0.95
#: Share of families that are foreign residents.
FOREIGN_SHARE: Final = 0.02
#: Share of foreign residents without a period of stay (永住者 and similar).
PERMANENT_RESIDENT_SHARE: Final = 0.25
#: Share of people whose information is restricted (DV victims and similar).
RESTRICTED_SHARE: Final = 0.0005
#: Share of members living in a prefecture other than their employer's (commuters).
OTHER_PREFECTURE_SHARE: Final = 0.07
#: Share of homes in an apartment building (with a building name and room number).
APARTMENT_SHARE: Final = 0.4

# --- Insured persons: age 18–74 -------------------------------------------------------------

#: 5-year bands (first age, last age, share of insured persons, share male).
INSURED_AGE_BANDS: Final[tuple[tuple[int, int, float, float], ...]] = (
    (18, 19, 1.2, 0.55),
    (20, 24, 7.5, 0.54),
    (25, 29, 9.5, 0.56),
    (30, 34, 9.5, 0.61),
    (35, 39, 10.0, 0.63),
    (40, 44, 10.5, 0.63),
    (45, 49, 12.0, 0.62),
    (50, 54, 12.0, 0.62),
    (55, 59, 10.5, 0.63),
    (60, 64, 8.5, 0.65),
    (65, 69, 5.5, 0.66),
    (70, 74, 3.3, 0.66),
)

MIN_INSURED_AGE: Final = 18
MAX_AGE: Final = 74  # membership ends on the 75th birthday (後期高齢者医療制度)

# fmt: on


def _by_age(bands: tuple[tuple[int, int, float], ...], first: int = 0) -> FloatArray:
    """Expand (first age, last age, value) bands into one value per age from ``first``."""
    out = np.zeros(MAX_AGE + 1 - first)
    for lo, hi, value in bands:
        out[lo - first : hi + 1 - first] = value
    return out


def insured_age_pmf() -> FloatArray:
    """Probability of each age 18..74 for an insured person (index 0 = age 18)."""
    weights = np.zeros(MAX_AGE + 1 - MIN_INSURED_AGE)
    for lo, hi, share, _male in INSURED_AGE_BANDS:
        weights[lo - MIN_INSURED_AGE : hi + 1 - MIN_INSURED_AGE] = share / (hi - lo + 1)
    return weights / weights.sum()


def insured_male_share() -> FloatArray:
    """Share male for each insured age 18..74."""
    return _by_age(tuple((lo, hi, male) for lo, hi, _s, male in INSURED_AGE_BANDS), MIN_INSURED_AGE)


# fmt: off
# --- Families ---------------------------------------------------------------------------------

#: Probability that an insured man of this age has a dependent wife.
SPOUSE_OF_MALE: Final = _by_age((
    (18, 24, 0.03), (25, 29, 0.12), (30, 34, 0.27), (35, 39, 0.34), (40, 49, 0.38),
    (50, 59, 0.38), (60, 64, 0.36), (65, 74, 0.34),
))
#: Probability that an insured woman of this age has a dependent husband.
SPOUSE_OF_FEMALE: Final = _by_age(((18, 59, 0.02), (60, 74, 0.04)))

#: Mean number of dependent children (0–22) of an insured man of this age, before scaling.
CHILDREN_OF_MALE: Final = _by_age((
    (18, 24, 0.05), (25, 29, 0.25), (30, 34, 0.65), (35, 39, 0.95), (40, 44, 1.05),
    (45, 49, 0.95), (50, 54, 0.60), (55, 59, 0.25), (60, 64, 0.08), (65, 74, 0.02),
))
#: Children of insured women, relative to men of the same age (most children are on the
#: father's insurance; single mothers and main earners are the rest).
CHILDREN_FEMALE_FACTOR: Final = 0.22
#: Probability of a dependent parent (aged up to 74) for an insured person of this age.
#: Parents are 22–36 years older, so only insured persons up to 52 can have one.
PARENT_DEPENDANT: Final = _by_age(((30, 39, 0.006), (40, 52, 0.014)))
PARENT_AGE_GAP: Final = (22, 36)

MAX_CHILD_AGE: Final = 22  # students up to 22 are commonly dependants
MAX_CHILDREN: Final = 6
#: Age of a parent at a child's birth: children are born when the insured person is 18–48.
PARENT_AGE_AT_BIRTH: Final = (18, 48)
#: Children 0–22 with a parent aged 18–48 at birth: nobody over 70 has one.
MAX_AGE_WITH_CHILDREN: Final = 70
#: Share of children who are boys.
BOY_SHARE: Final = 0.512
#: Dependent parents are mostly mothers.
PARENT_FEMALE_SHARE: Final = 0.7
#: A dependent spouse is this many years younger than an insured man (normal law), or older
#: than an insured woman.
SPOUSE_AGE_GAP: Final = (2.0, 3.0)

# --- Pay: 標準報酬月額 (health insurance grades 1–50) ---------------------------------------

REMUNERATION_GRADES: Final[tuple[int, ...]] = (
    58_000, 68_000, 78_000, 88_000, 98_000, 104_000, 110_000, 118_000, 126_000, 134_000,
    142_000, 150_000, 160_000, 170_000, 180_000, 190_000, 200_000, 220_000, 240_000,
    260_000, 280_000, 300_000, 320_000, 340_000, 360_000, 380_000, 410_000, 440_000,
    470_000, 500_000, 530_000, 560_000, 590_000, 620_000, 650_000, 680_000, 710_000,
    750_000, 790_000, 830_000, 880_000, 930_000, 980_000, 1_030_000, 1_090_000, 1_150_000,
    1_210_000, 1_270_000, 1_330_000, 1_390_000,
)
#: 任意継続: the 標準報酬月額 is capped at the insurer's average (¥320,000 in FY2025).
VOLUNTARY_REMUNERATION_CAP: Final = 320_000
#: Monthly pay is log-normal: median ¥ and sigma; age and sex move the median.
PAY_MEDIAN: Final = 300_000
PAY_SIGMA: Final = 0.45
PAY_AGE_FACTOR: Final = _by_age((
    (18, 19, 0.62), (20, 24, 0.74), (25, 29, 0.88), (30, 34, 0.98), (35, 39, 1.06),
    (40, 44, 1.12), (45, 49, 1.17), (50, 54, 1.20), (55, 59, 1.16), (60, 64, 0.92),
    (65, 69, 0.80), (70, 74, 0.75),
))
PAY_FEMALE_FACTOR: Final = 0.74
#: Overall scale chosen so that the median over all insured persons lands near ¥300,000.
PAY_SCALE: Final = 1.08

# --- Membership dates -------------------------------------------------------------------------

#: Mean years with the current employer (exponential, capped by years since age 18).
MEAN_TENURE_YEARS: Final = 9.0
#: 任意継続 lasts at most two years.
VOLUNTARY_MAX_DAYS: Final = 730
#: Probability of 任意継続 by age, relative; scaled to VOLUNTARY_SHARE.
VOLUNTARY_AGE_WEIGHT: Final = _by_age(((18, 29, 0.5), (30, 54, 0.8), (55, 59, 1.5),
                                       (60, 66, 3.5), (67, 74, 1.5)))
#: Reasons an ended membership ended (OQSCD008): other (left the job), joined another
#: insurer, death.
LOSS_REASONS: Final[tuple[tuple[str, float], ...]] = (("99", 0.85), ("03", 0.13), ("01", 0.02))

# --- My Number card (マイナンバーカード) and insurance registration ---------------------------

#: Probability of holding a My Number card by age (all members).
MYNA_CARD_BY_AGE: Final = _by_age((
    (0, 4, 0.60), (5, 14, 0.74), (15, 19, 0.78), (20, 29, 0.75), (30, 39, 0.82),
    (40, 49, 0.86), (50, 59, 0.88), (60, 69, 0.89), (70, 74, 0.87),
))
#: Probability that a card holder registered the card for health insurance use, by age.
MYNA_REGISTERED_BY_AGE: Final = _by_age((
    (0, 4, 0.80), (5, 14, 0.84), (15, 19, 0.85), (20, 29, 0.85), (30, 39, 0.90),
    (40, 49, 0.93), (50, 59, 0.94), (60, 69, 0.95), (70, 74, 0.94),
))
#: Foreign residents hold cards less often (relative factor).
MYNA_FOREIGN_FACTOR: Final = 0.75
#: Registered holders who cancelled the registration (利用登録解除, from 2024-10-28).
MYNA_CANCELLED_SHARE: Final = 0.004
#: Holders who returned the card (返納).
MYNA_RETURNED_SHARE: Final = 0.002
#: Holders whose e-certificate expired in the year before the as-of date and who renewed it
#: (the renewed certificate runs five years from the old expiry).
ECERT_RENEWED_SHARE: Final = 0.8

# --- Care needs -------------------------------------------------------------------------------

#: Probability that a 要配慮者 asked for a certificate, by age.
CARE_NEEDS_BY_AGE: Final = _by_age(((0, 64, 0.001), (65, 74, 0.01)))

# --- Foreign residents --------------------------------------------------------------------------

#: Preferred language of foreign residents (weights, roughly the nationalities of foreign
#: workers in Japan: Vietnam, China, the Philippines, Brazil, Nepal, Indonesia, Korea, …).
LANGUAGE_WEIGHTS: Final[tuple[tuple[str, float], ...]] = (
    ("vi", 24.0), ("zh-Hans", 18.0), ("zh-Hant", 2.5), ("ko", 7.0), ("tl", 10.0),
    ("pt", 6.5), ("ne", 7.0), ("id", 6.5), ("en", 4.0), ("es", 1.5), ("th", 1.5),
    ("my", 3.0), ("km", 0.8), ("mn", 0.6), ("fr", 0.4), ("si", 1.0), ("ur", 0.4),
    ("bn", 0.6), ("uk", 0.2), ("ru", 0.3), ("hi", 0.8), ("uz", 0.6),
)
#: Foreign workers are mostly young: relative weight by insured age.
FOREIGN_AGE_WEIGHT: Final = _by_age(((18, 19, 1.5), (20, 29, 3.0), (30, 39, 1.6),
                                     (40, 49, 0.8), (50, 74, 0.3)))
#: Remaining period of stay, days after the as-of date (uniform).
STAY_DAYS: Final = (30, 5 * 365)

# --- Employers ----------------------------------------------------------------------------------

#: Insured persons per employer follow a discrete Lomax (shifted Pareto) law:
#: P(size >= s) = (1 + (s - 1) / SCALE) ** -ALPHA, capped at MAX_SIZE. About 80% of employers
#: have fewer than 10 staff and the mean is about 13 (25.7M insured / ~2M employers).
EMPLOYER_SIZE_ALPHA: Final = 1.2
EMPLOYER_SIZE_SCALE: Final = 3.2
EMPLOYER_MAX_SIZE: Final = 20_000
#: Share of 記号 with 7 digits (the rest have 8).
SYMBOL_SEVEN_DIGIT_SHARE: Final = 0.3
# fmt: on
