"""Features: the vectorized form equals the per-pair reference, units are right."""

from __future__ import annotations

import numpy as np
import pytest

from online_model.catalog import PostingCatalog
from online_model.context import PostingStat, PostingStats, RankContext
from online_model.features import FEATURE_INDEX, FEATURES, feature_matrix, pair_features
from online_model.history import SeekerHistory
from online_model.normalize import monthly_krw
from online_model.text import CharNgramTokenizer, Tokenizer
from schemas.postings import Wage
from schemas.profiles import DesiredWage
from tests.online_model.factories import (
    NOW_MS,
    Market,
    WordTokenizer,
    make_posting,
    make_profile,
)


def _history(market: Market) -> SeekerHistory:
    p = market.postings
    return SeekerHistory(
        applied=(p[0].posting_id,),
        occupation_counts=tuple((q.occupation_code, 2) for q in p[:5] if q.occupation_code),
        employer_counts=((p[1].employer_id, 1), (p[2].employer_id, 3)),
    )


def _stats(market: Market) -> PostingStats:
    return PostingStats(
        {
            p.posting_id: PostingStat(float(i % 50), float(i % 7), NOW_MS - i * 3_600_000)
            for i, p in enumerate(market.postings[::3])
        }
    )


def test_vectorized_features_equal_the_reference(market: Market, catalog: PostingCatalog) -> None:
    ctx = RankContext(NOW_MS, _stats(market))
    catalog.sync_stats(ctx.stats)
    history = _history(market)
    slots = catalog.alive_slots()
    for profile in market.profiles[:12]:
        matrix = feature_matrix(profile, history, catalog, slots, ctx)
        for row, slot in zip(matrix, slots.tolist(), strict=True):
            posting = catalog.get(catalog.posting_ids[slot])
            assert posting is not None
            x = pair_features(profile, history, posting, ctx)
            np.testing.assert_allclose(row, [x[f] for f in FEATURES], rtol=0, atol=1e-12)


def test_features_stay_in_range(market: Market, catalog: PostingCatalog) -> None:
    ctx = RankContext(NOW_MS)
    slots = catalog.alive_slots()
    for profile in market.profiles[:20]:
        m = feature_matrix(profile, SeekerHistory(), catalog, slots, ctx)
        assert np.all(m >= -1.0) and np.all(m <= 1.0)
        assert np.all(m[:, [i for i, f in enumerate(FEATURES) if f != "wage_gap"]] >= 0.0)


def test_wages_compare_per_month_across_types() -> None:
    # 12,000 KRW/h x 209 h = 2,508,000 KRW a month: above a 2.5M monthly minimum.
    assert monthly_krw(12_000, "hourly") == 2_508_000
    profile = make_profile(desired_wage=DesiredWage("annual", 30_000_000))  # 2.5M a month
    x = pair_features(
        profile, SeekerHistory(), make_posting(wage=Wage("hourly", 12_000)), RankContext(NOW_MS)
    )
    assert x["wage_meets"] == 1.0 and x["wage_unknown"] == 0.0
    x = pair_features(
        profile, SeekerHistory(), make_posting(wage=Wage("daily", 100_000)), RankContext(NOW_MS)
    )
    assert x["wage_meets"] == 0.0 and x["wage_gap"] < 0  # 2,175,000 a month


def test_region_levels_are_exclusive() -> None:
    profile = make_profile(desired_region_codes=("41590",), home_region_code="41590")
    ctx = RankContext(NOW_MS)
    cases = {
        "41590": "region_sigungu",  # 화성시
        "41130": "region_sido",  # 성남시, same 시도
        "11680": "region_adjacent",  # 서울 강남구, 서울 borders 경기
        "26350": None,  # 부산 해운대구
    }
    for code, expected in cases.items():
        x = pair_features(profile, SeekerHistory(), make_posting(region_code=code), ctx)
        levels = [f for f in ("region_sigungu", "region_sido", "region_adjacent") if x[f] == 1.0]
        assert levels == ([expected] if expected else []), code


@pytest.mark.parametrize(
    "tokenizer",
    [CharNgramTokenizer(), CharNgramTokenizer(n=3), WordTokenizer()],
    ids=["char2", "char3", "words"],
)
def test_any_tokenizer_plugs_into_catalog_and_features(tokenizer: Tokenizer) -> None:
    cat = PostingCatalog(tokenizer=tokenizer)
    postings = [
        make_posting("P1", title="물류센터 지게차 운전원", skills=()),
        make_posting("P2", title="요양보호사 모집", skills=(), occupation_code="06B"),
    ]
    for p in postings:
        cat.upsert(p)
    profile = make_profile(desired_titles=("지게차 운전",), skills=())
    ctx = RankContext(NOW_MS)
    m = feature_matrix(profile, SeekerHistory(), cat, cat.alive_slots(), ctx)
    title = m[:, FEATURE_INDEX["title_sim"]]
    # "지게차" is shared whatever the tokens; "운전" finds "운전원" only through bigrams.
    assert title[0] >= 0.5 and title[1] == 0.0
    ref = pair_features(profile, SeekerHistory(), postings[0], ctx, tokenizer=tokenizer)
    assert ref["title_sim"] == title[0]
