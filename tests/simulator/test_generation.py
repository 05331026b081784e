"""The market at its start: real code lists, realistic skews, well-formed entities."""

from __future__ import annotations

import re
import statistics
from collections import Counter

import pytest

from schemas import reference
from schemas.profiles import AGE_BANDS
from simulator import Market, MarketConfig
from simulator.entities import to_monthly
from simulator.geography import CAPITAL_AREA, NEIGHBOURS, geography
from simulator.vocabulary import occupation_profiles


def test_every_occupation_code_has_a_vocabulary_row() -> None:
    # One row per middle-level code of the shipped table, with titles and skills.
    profiles = occupation_profiles()
    assert list(profiles) == sorted(reference.middle_occupation_codes())
    for code, p in profiles.items():
        assert p.jobs and p.skills and p.keywords, code
        assert p.median_monthly >= 2_000_000, code


def test_neighbouring_sido_table_is_symmetric_and_complete() -> None:
    assert set(NEIGHBOURS) == set(reference.sido_codes())
    for sido, near in NEIGHBOURS.items():
        for other in near:
            assert sido in NEIGHBOURS[other], (sido, other)


def test_places_are_leaf_sigungu_of_the_shipped_table() -> None:
    geo = geography()
    leaves = {geo.places[i].code for ids in geo.leaves_by_sido.values() for i in ids}
    # 수원시 (41110) is split into 구: people live in 장안구 (41111), not in "수원시".
    assert "41111" in leaves and "41110" not in leaves
    assert "11680" in leaves  # 서울 강남구
    assert leaves <= set(reference.sigungu_codes())
    assert geo.place("41590").display == "경기 화성시"


def test_about_half_of_seekers_and_postings_are_in_the_capital_area(big_market: Market) -> None:
    seekers = [s.profile.home_region_code for s in big_market.seekers]
    postings = [p.place.sido for p in big_market.postings]
    seeker_share = sum(code is not None and code[:2] in CAPITAL_AREA for code in seekers) / len(
        seekers
    )
    posting_share = sum(sido in CAPITAL_AREA for sido in postings) / len(postings)
    assert 0.45 <= seeker_share <= 0.57
    assert 0.47 <= posting_share <= 0.62
    # ... and the rest is spread: every 시도 has seekers.
    assert {code[:2] for code in seekers if code} == set(reference.sido_codes())


def test_high_school_graduates_and_over_40s_are_well_represented(big_market: Market) -> None:
    profiles = [s.profile for s in big_market.seekers]
    education = Counter(p.education_level for p in profiles)
    assert education["03"] / len(profiles) >= 0.30  # 고졸 is the largest group
    assert education.most_common(1)[0][0] == "03"
    bands = Counter(p.age_band for p in profiles)
    assert set(bands) <= set(AGE_BANDS)
    over_40 = sum(bands[b] for b in ("40-49", "50-59", "60+")) / len(profiles)
    assert over_40 >= 0.50


def test_wages_follow_the_occupation_group(big_market: Market) -> None:
    monthly: dict[str, list[float]] = {}
    for state in big_market.postings:
        wage = state.posting.wage
        if wage is not None:
            monthly.setdefault(state.occupation[:2], []).append(to_monthly(wage.type, wage.min))
    median = {group: statistics.median(values) for group, values in monthly.items()}
    # Research and IT pay more than personal services; nobody pays below the minimum wage.
    assert median["02"] > 1.4 * median["06"]
    assert min(min(v) for v in monthly.values()) >= 10_320 * 209 * 0.99
    types = Counter(s.posting.wage.type for s in big_market.postings if s.posting.wage)
    assert types.most_common(1)[0][0] == "monthly"
    assert {"hourly", "daily", "annual"} <= set(types)
    # 소프트웨어 is mostly paid by the year, 건설 단순 by the day.
    by_code = Counter(
        (s.occupation, s.posting.wage.type) for s in big_market.postings if s.posting.wage
    )
    assert by_code[("024", "annual")] > by_code[("024", "monthly")]
    assert by_code[("086", "daily")] > by_code[("086", "monthly")]


def test_postings_often_lack_codes_wages_and_deadlines_like_real_ones(big_market: Market) -> None:
    postings = [s.posting for s in big_market.postings]
    n = len(postings)
    assert 0.10 <= sum(p.occupation_code is None for p in postings) / n <= 0.20
    assert 0.10 <= sum(p.wage is None for p in postings) / n <= 0.20
    assert 0.05 <= sum(p.region_code is None for p in postings) / n <= 0.15
    assert 0.20 <= sum(p.deadline is None for p in postings) / n <= 0.40
    # A posting without codes still names its place and keeps its real occupation.
    for state in big_market.postings:
        assert state.posting.region_name == state.place.display
        if state.posting.occupation_code is not None:
            assert state.posting.occupation_code == state.occupation


def test_titles_come_from_the_occupation_vocabulary(big_market: Market) -> None:
    logistics = [s.posting.title for s in big_market.postings if s.occupation == "07C"]
    assert logistics
    words = ("택배", "물류", "상하차", "배송", "배달", "지게차", "피킹")
    assert all(any(w in title for w in words) for title in logistics)


def test_employers_have_a_skewed_number_of_postings(big_market: Market) -> None:
    counts = sorted(
        Counter(s.posting.employer_id for s in big_market.postings).values(), reverse=True
    )
    top_tenth = sum(counts[: max(1, len(big_market.employers) // 10)])
    assert top_tenth / len(big_market.postings) >= 0.3
    assert counts[-1] == 1  # and many post a single job
    names = {e.name for e in big_market.employers}
    assert any(re.fullmatch(r"\(주\)\S+", name) for name in names)


def test_ids_follow_the_documented_formats(big_market: Market) -> None:
    assert big_market.seekers[0].seeker_id == "S000001"
    assert big_market.postings[0].posting.posting_id == "P000001"
    assert big_market.employers[0].employer_id == "E00001"
    assert all(re.fullmatch(r"E\d{5}", s.posting.employer_id) for s in big_market.postings)


def test_seekers_profiles_are_varied(big_market: Market) -> None:
    profiles = [s.profile for s in big_market.seekers]
    n = len(profiles)
    no_codes = sum(not p.desired_occupation_codes for p in profiles) / n
    assert 0.08 <= no_codes <= 0.25  # sometimes none ...
    assert all(
        p.desired_titles for p in profiles if not p.desired_occupation_codes
    )  # ... then titles
    assert all(
        1 <= len(p.desired_occupation_codes) <= 3 for p in profiles if p.desired_occupation_codes
    )
    kinds = Counter(len(code) for p in profiles for code in p.desired_region_codes)
    assert kinds[2] > 0 and kinds[5] > 0  # 시도 and 시군구
    assert sum(p.desired_wage is not None for p in profiles) / n >= 0.75


def test_generation_is_deterministic_under_the_seed() -> None:
    config = MarketConfig(seekers=100, postings=60)
    a, b = Market.generate(config, 4), Market.generate(config, 4)
    c = Market.generate(config, 5)
    assert [s.profile for s in a.seekers] == [s.profile for s in b.seekers]
    assert [s.posting for s in a.postings] == [s.posting for s in b.postings]
    assert [s.profile for s in a.seekers] != [s.profile for s in c.seekers]


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="at least one seeker"):
        MarketConfig(seekers=0)
    with pytest.raises(ValueError, match="reco_share"):
        MarketConfig(reco_share=1.5)
