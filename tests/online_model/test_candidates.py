"""Retrieval and hard filters; the reverse index agrees with retrieval."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from online_model.candidates import FilterStats, SeekerIndex, filter_reason, retrieve
from online_model.catalog import PostingCatalog
from online_model.context import COLD_POOL_SIZE, DAY_MS, PostingStat, PostingStats, RankContext
from online_model.features import pair_features, seeker_query
from online_model.history import SeekerHistory
from online_model.normalize import deadline_ms
from online_model.ranker import Ranker
from online_model.recommend import rank_seeker
from online_model.regions import posting_region
from schemas.postings import Posting, Wage
from schemas.profiles import Profile
from tests.online_model.factories import NOW_MS, make_posting, make_profile, synthetic_market

MARKET = synthetic_market(250, 60, seed=11)


@settings(max_examples=60, deadline=None)
@given(
    seeker=st.integers(0, len(MARKET.profiles) - 1),
    closed=st.sets(st.integers(0, len(MARKET.postings) - 1), max_size=80),
    applied=st.sets(st.integers(0, len(MARKET.postings) - 1), max_size=40),
    dismissed=st.sets(st.integers(0, len(MARKET.postings) - 1), max_size=40),
    days_later=st.integers(0, 40),
)
def test_filters_never_let_closed_expired_applied_or_dismissed_through(
    seeker: int, closed: set[int], applied: set[int], dismissed: set[int], days_later: int
) -> None:
    catalog = PostingCatalog()
    for posting in MARKET.postings:
        catalog.upsert(posting)
    for i in closed:
        catalog.remove(MARKET.postings[i].posting_id)
    history = SeekerHistory(
        applied=tuple(MARKET.postings[i].posting_id for i in sorted(applied)),
        dismissed=tuple(MARKET.postings[i].posting_id for i in sorted(dismissed)),
    )
    now = NOW_MS + days_later * DAY_MS
    stats = FilterStats()
    ranked = rank_seeker(
        MARKET.profiles[seeker], history, catalog, Ranker(), RankContext(now), filter_stats=stats
    )
    by_id = {p.posting_id: p for p in MARKET.postings}
    for pid in ranked.ids():
        posting = by_id[pid]
        assert pid in catalog, "closed posting listed"
        assert deadline_ms(posting.deadline) > now, "expired posting listed"
        assert not history.has_applied(pid) and not history.has_dismissed(pid)
    # And the per-pair reference agrees that every listed posting passes.
    for pid in ranked.ids():
        assert filter_reason(MARKET.profiles[seeker], history, by_id[pid], RankContext(now)) is None


def test_each_veto_is_counted_under_its_reason() -> None:
    catalog = PostingCatalog()
    now = NOW_MS
    profile = make_profile(education_level="03", certificates=())
    postings = {
        "ok": make_posting("ok"),
        "expired": make_posting("expired", deadline="2020-01-01"),
        "applied": make_posting("applied"),
        "dismissed": make_posting("dismissed"),
    }
    for p in postings.values():
        catalog.upsert(p)
    history = SeekerHistory(applied=("applied",), dismissed=("dismissed",))
    stats = FilterStats()
    slots = retrieve(profile, history, catalog, RankContext(now), filter_stats=stats)
    assert [catalog.posting_ids[s] for s in slots] == ["ok"]
    for reason in ("expired", "applied", "dismissed"):
        assert stats.counts[reason] == 1, reason
        assert filter_reason(profile, history, postings[reason], RankContext(now)) == reason
    assert (
        filter_reason(profile, history, postings["ok"], RankContext(now), is_open=False) == "closed"
    )


SOFT = {
    "region": make_posting("region", region_code="26350", region_name=None),
    "education": make_posting("education", education_min="05"),
    "certificate": make_posting("certificate", certificates=("지게차운전기능사",)),
    "wage": make_posting("wage", wage=Wage("monthly", 2_000_000)),  # 20 % below 2.5M
}


def test_soft_constraints_are_retrieved_and_ranked_below_the_posting_that_keeps_them() -> None:
    # What used to be vetoed (far 시도, too little education, a certificate the seeker
    # lacks, a low wage) is retrieved, flagged by its feature, and ranks below "ok".
    catalog = PostingCatalog()
    profile = make_profile(education_level="03", certificates=())
    for p in (make_posting("ok"), *SOFT.values()):
        catalog.upsert(p)
    stats = FilterStats()
    ctx = RankContext(NOW_MS)
    slots = retrieve(profile, SeekerHistory(), catalog, ctx, filter_stats=stats)
    assert sorted(catalog.posting_ids[s] for s in slots) == sorted(["ok", *SOFT])
    assert stats.total == 0
    ranked = rank_seeker(profile, SeekerHistory(), catalog, Ranker(), ctx)
    assert ranked.ids()[0] == "ok"
    flag = {
        "region": "region_outside",
        "education": "edu_short",
        "certificate": "cert_missing",
        "wage": "wage_below",
    }
    for name, posting in SOFT.items():
        assert filter_reason(profile, SeekerHistory(), posting, ctx) is None
        x = pair_features(profile, SeekerHistory(), posting, ctx)
        assert x[flag[name]] == 1.0, name
        assert sum(x[f] for f in flag.values()) == 1.0, name  # only its own flag


def test_a_seeker_without_a_what_gets_near_postings_first_when_capped() -> None:
    catalog = PostingCatalog()
    for i in range(5):
        catalog.upsert(make_posting(f"far{i}", region_code="26350", region_name=None))
        catalog.upsert(make_posting(f"near{i}", region_code="41590"))
    profile = make_profile(
        desired_occupation_codes=(), desired_titles=(), skills=(), certificates=()
    )
    ctx = RankContext(NOW_MS)
    clicked = SeekerHistory(engagements=(("near0", "click", NOW_MS - 1000),))
    everything = retrieve(profile, clicked, catalog, ctx)
    assert len(everything) == 10  # far postings are candidates too
    capped = retrieve(profile, clicked, catalog, ctx, max_candidates=5)
    assert sorted(str(catalog.posting_ids[s]) for s in capped) == [f"near{i}" for i in range(5)]


def test_a_cold_start_is_ranked_among_the_popular_and_the_new_postings_near_them() -> None:
    # No "what", no engagement: the snapshot's most popular anywhere, and the postings
    # nobody was shown yet that are new and near (the ones a seeker index finds them for).
    catalog = PostingCatalog()
    for i in range(COLD_POOL_SIZE + 20):
        catalog.upsert(make_posting(f"shown{i:03d}", region_code="26350", region_name=None))
    catalog.upsert(make_posting("new_far", region_code="26350", region_name=None, posted_at=NOW_MS))
    catalog.upsert(make_posting("new_near", region_code="41590", posted_at=NOW_MS))
    catalog.upsert(make_posting("old_near", region_code="41590", posted_at=NOW_MS - 3 * DAY_MS))
    shown = {
        f"shown{i:03d}": PostingStat(100.0, float(i), NOW_MS) for i in range(COLD_POOL_SIZE + 20)
    }
    ctx = RankContext(NOW_MS, PostingStats(shown))
    catalog.sync_stats(ctx.stats)
    profile = make_profile(
        desired_occupation_codes=(), desired_titles=(), skills=(), certificates=()
    )
    ids = {str(catalog.posting_ids[s]) for s in retrieve(profile, SeekerHistory(), catalog, ctx)}
    popular = {f"shown{i:03d}" for i in range(20, COLD_POOL_SIZE + 20)}
    assert ids == popular | {"new_near"}
    # Before any snapshot, every posting near them (no statistics to say what is popular).
    ctx = RankContext(NOW_MS)
    catalog.sync_stats(ctx.stats)
    ids = retrieve(profile, SeekerHistory(), catalog, ctx)
    assert {str(catalog.posting_ids[s]) for s in ids} == {"new_near", "old_near"}


def _live_reach(profile: Profile, posting: Posting) -> bool:
    # What the reverse index promises: a seeker with a "what" is reached wherever the
    # posting is; one who wants anything only inside their commuting area (the sweeper
    # brings far postings at the next re-rank).
    q = seeker_query(profile)
    has_what = q.occupations or q.title_tokens or q.skill_tokens or q.certificates
    return bool(has_what) or q.accepted.accepts(*posting_region(posting))


def test_reverse_index_finds_every_seeker_whose_retrieval_finds_the_posting() -> None:
    # Consistency: if retrieval for seeker S returns posting P (and P is within S's live
    # reach), then S is among SeekerIndex.candidates_for(P). Over a whole market, uncapped.
    market = synthetic_market(400, 120, seed=3)
    catalog = PostingCatalog()
    for p in market.postings:
        catalog.upsert(p)
    index = SeekerIndex()
    for profile in market.profiles:
        index.upsert(profile)
    ctx = RankContext(NOW_MS)
    by_id = {p.posting_id: p for p in market.postings}
    found: dict[str, set[str]] = {}
    far = 0
    for profile in market.profiles:
        for slot in retrieve(profile, SeekerHistory(), catalog, ctx, max_candidates=10**9):
            pid = str(catalog.posting_ids[slot])
            far += not seeker_query(profile).accepted.accepts(*posting_region(by_id[pid]))
            if _live_reach(profile, by_id[pid]):
                found.setdefault(pid, set()).add(profile.seeker_id)
    assert sum(map(len, found.values())) > 1000  # the check is not vacuous
    assert far > 0  # and far postings are retrieved (region orders, it does not veto)
    for posting in market.postings:
        wanted = found.get(posting.posting_id, set())
        assert wanted <= index.candidates_for(posting), posting.posting_id


@settings(max_examples=40, deadline=None)
@given(
    profile_i=st.integers(0, 59),
    posting_i=st.integers(0, 249),
)
def test_reverse_index_property(profile_i: int, posting_i: int) -> None:
    profile = MARKET.profiles[profile_i]
    posting = MARKET.postings[posting_i]
    catalog = PostingCatalog()
    catalog.upsert(posting)
    index = SeekerIndex()
    index.upsert(profile)
    retrieved = len(retrieve(profile, SeekerHistory(), catalog, RankContext(0))) > 0
    if retrieved and _live_reach(profile, posting):
        assert profile.seeker_id in index.candidates_for(posting)


def test_reverse_index_forgets_and_updates() -> None:
    anything = {"desired_occupation_codes": (), "desired_titles": (), "skills": ()}
    index = SeekerIndex()
    index.upsert(make_profile("S1", desired_region_codes=("41590",), **anything))
    posting = make_posting(region_code="41590")
    assert index.candidates_for(posting) == {"S1"}
    # Wanting anything, the seeker moves to 부산: a 화성 posting no longer reaches them live.
    index.upsert(
        make_profile("S1", desired_region_codes=("26",), home_region_code="26350", **anything)
    )
    assert index.candidates_for(posting) == set()
    # Wanting 지게차 again, they are reached from anywhere.
    index.upsert(make_profile("S1", desired_region_codes=("26",), home_region_code="26350"))
    assert index.candidates_for(posting) == {"S1"}
    assert index.remove("S1") and not index.remove("S1") and len(index) == 0
