"""Offline evaluation: metrics against brute force, baselines, and the replay's bookkeeping."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from river import metrics

import online_model.evaluation as evaluation
from online_model.baselines import (
    board_matches,
    oracle_list,
    popularity_order,
    random_list,
    rule_based_list,
)
from online_model.catalog import PostingCatalog
from online_model.context import PostingStat, PostingStats, RankContext
from online_model.evaluation import (
    FATES,
    MODELS,
    EvalConfig,
    OfflineEvaluation,
    StaticTruth,
    apply_rate_at,
    ndcg_at,
    recall_at,
    weighted_auc,
    weighted_log_loss,
)
from online_model.history import SeekerHistory
from online_model.text import DEFAULT_TOKENIZER
from schemas.postings import PostingEvent, Wage
from schemas.profiles import DesiredWage, ProfileEvent
from tests.online_model.factories import (
    DAY_MS,
    NOW_MS,
    WordTokenizer,
    make_interaction,
    make_posting,
    make_profile,
    synthetic_market,
)

HOUR_MS = 3_600_000


def upsert(posting: Any, ts: int) -> tuple[str, Any]:
    return "postings", PostingEvent(
        f"p-{posting.posting_id}-{ts}", ts, "upsert", posting.posting_id, posting
    )


def close(posting_id: str, ts: int) -> tuple[str, Any]:
    return "postings", PostingEvent(f"c-{posting_id}-{ts}", ts, "close", posting_id)


def profile_event(profile: Any, ts: int) -> tuple[str, Any]:
    return "profiles", ProfileEvent(
        f"s-{profile.seeker_id}-{ts}", ts, "upsert", profile.seeker_id, profile
    )


def deactivate(seeker_id: str, ts: int) -> tuple[str, Any]:
    return "profiles", ProfileEvent(f"d-{seeker_id}-{ts}", ts, "deactivate", seeker_id)


def act(seeker_id: str, posting_id: str, action: str, ts: int) -> tuple[str, Any]:
    return "interactions", make_interaction(seeker_id, posting_id, action, ts, source="reco")


def random_scenario(seed: int, *, steps: int = 1500) -> tuple[list[tuple[str, Any]], StaticTruth]:
    """A synthetic market replayed over two days: sessions of impressions, clicks, applies,
    dismissals; the truth is a random fifth of the pairs with the same occupation code."""
    market = synthetic_market(300, 60, seed=seed)
    rng = random.Random(seed)
    t0 = NOW_MS
    events = [upsert(p, t0) for p in market.postings] + [
        profile_event(s, t0) for s in market.profiles
    ]
    truth: dict[str, dict[str, float]] = {}
    for s in market.profiles:
        hits = {
            p.posting_id: round(rng.uniform(2, 5), 3)
            for p in market.postings
            if (p.occupation_code in s.desired_occupation_codes and rng.random() < 0.6)
            or rng.random() < 0.02
        }
        truth[s.seeker_id] = hits
    ts = t0
    for _ in range(steps):
        ts += rng.randrange(10_000, 200_000)
        s = rng.choice(market.profiles)
        p = rng.choice(market.postings)
        events.append(act(s.seeker_id, p.posting_id, "impression", ts))
        liked = p.posting_id in truth[s.seeker_id]
        if rng.random() < (0.5 if liked else 0.05):
            events.append(act(s.seeker_id, p.posting_id, "click", ts + 5_000))
            if rng.random() < 0.5:
                events.append(act(s.seeker_id, p.posting_id, "apply", ts + 60_000))
        elif rng.random() < 0.03:
            events.append(act(s.seeker_id, p.posting_id, "dismiss", ts + 2_000))
    events.sort(key=lambda fe: fe[1].ts)
    return events, StaticTruth(truth)


# -- list metrics -----------------------------------------------------------------------------


def test_list_metrics_on_a_hand_example() -> None:
    relevant = {"A": 3.0, "B": 3.5, "C": 2.9}
    ranked = ["X", "A", "Y", "B"]
    # Two of the three relevant postings are in the list.
    assert recall_at(ranked, relevant, 120) == pytest.approx(2 / 3)
    assert recall_at(ranked, relevant, 2) == pytest.approx(1 / 3)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(ranked, relevant, 120) == pytest.approx(
        (1 / math.log2(3) + 1 / math.log2(5)) / ideal
    )
    # Apply rate counts empty slots of the first screen as misses.
    assert apply_rate_at(ranked, relevant, 20) == pytest.approx(2 / 20)
    assert ndcg_at(["B", "A", "C"], relevant, 120) == pytest.approx(1.0)


def test_list_metrics_refuse_an_empty_relevant_set() -> None:
    with pytest.raises(ValueError, match="undefined"):
        recall_at(["A"], {}, 10)
    with pytest.raises(ValueError, match="undefined"):
        ndcg_at(["A"], set(), 10)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.1, 0.2, 0.5, 0.7, 0.9]),  # few values: many ties
            st.booleans(),
            st.sampled_from([0.5, 1.0, 3.0]),
        ),
        min_size=2,
        max_size=40,
    )
)
def test_weighted_auc_equals_the_pairwise_definition(rows: list[tuple[float, bool, float]]) -> None:
    scores, labels, weights = zip(*rows, strict=True)
    pos = [(s, w) for s, y, w in rows if y]
    neg = [(s, w) for s, y, w in rows if not y]
    got = weighted_auc(scores, labels, weights)
    if not pos or not neg:
        assert math.isnan(got)
        return
    num = sum(
        wp * wn * (1.0 if sp > sn else 0.5 if sp == sn else 0.0)
        for (sp, wp), (sn, wn) in itertools.product(pos, neg)
    )
    den = sum(w for _, w in pos) * sum(w for _, w in neg)
    assert got == pytest.approx(num / den, abs=1e-12)


def test_weighted_log_loss_equals_rivers() -> None:
    rng = random.Random(3)
    rows = [(rng.random(), rng.random() < 0.3, rng.choice([1.0, 3.0, 0.5])) for _ in range(500)]
    river_loss = metrics.LogLoss()
    for p, y, w in rows:
        river_loss.update(y, p, w)
    p, y, w = zip(*rows, strict=True)
    assert weighted_log_loss(p, y, w) == pytest.approx(river_loss.get(), rel=1e-12)


# -- baselines ------------------------------------------------------------------------------------


def test_board_matches_by_code_or_title_keyword() -> None:
    posting = make_posting(title="물류센터 지게차 운전원", occupation_code="07C")
    assert board_matches(
        make_profile(desired_occupation_codes=("07C",), desired_titles=()), posting
    )
    assert board_matches(
        make_profile(desired_occupation_codes=(), desired_titles=("지게차",)), posting
    )
    # Neither the code nor a typed keyword: the board does not show it.
    assert not board_matches(
        make_profile(desired_occupation_codes=("041",), desired_titles=("간호",)), posting
    )
    no_code = make_posting(title="지게차 기사", occupation_code=None)
    assert not board_matches(
        make_profile(desired_occupation_codes=("07C",), desired_titles=()), no_code
    )


def test_rule_based_applies_our_hard_filters_and_sorts_newest_first() -> None:
    cat = PostingCatalog()
    postings = [
        make_posting("P-old", posted_at=NOW_MS - 5 * DAY_MS),
        make_posting("P-new", posted_at=NOW_MS - 1 * DAY_MS),
        make_posting("P-far", region_code="26350", region_name="부산 해운대구"),
        make_posting("P-cheap", wage=Wage("monthly", 1_500_000)),
        make_posting("P-applied"),
        make_posting("P-other-job", occupation_code="041", title="간호사 채용"),
    ]
    for p in postings:
        cat.upsert(p)
    profile = make_profile(desired_wage=DesiredWage("monthly", 2_500_000))
    history = SeekerHistory(applied=("P-applied",))
    ranked = rule_based_list(profile, history, cat, RankContext(now_ms=NOW_MS), k=120)
    # A board vetoes region, wage and applied postings; another occupation is not searched.
    assert ranked == ["P-new", "P-old"]
    assert rule_based_list(profile, history, cat, RankContext(now_ms=NOW_MS), k=1) == ["P-new"]


def test_popularity_orders_by_smoothed_apply_rate() -> None:
    cat = PostingCatalog()
    for i in range(4):
        cat.upsert(make_posting(f"P{i}", posted_at=NOW_MS - i * HOUR_MS))
    stats = PostingStats(
        {
            "P3": PostingStat(20.0, 10.0, NOW_MS),  # (10 + .5) / (20 + 10) = 0.35
            "P2": PostingStat(2.0, 2.0, NOW_MS),  # (2 + .5) / (2 + 10) = 0.21: smoothing
        }
    )
    ctx = RankContext(now_ms=NOW_MS, stats=stats)
    cat.sync_stats(stats)
    # No statistics: the prior rate, newest first.
    assert popularity_order(cat, cat.alive_slots(), ctx) == ["P3", "P2", "P0", "P1"]


def test_random_list_is_seeded_and_draws_without_repeats() -> None:
    ids = [f"P{i}" for i in range(50)]
    a = random_list(ids, 20, seed=1, key="S1")
    assert a == random_list(ids, 20, seed=1, key="S1")
    assert a != random_list(ids, 20, seed=2, key="S1")
    assert len(set(a)) == 20 and set(a) <= set(ids)
    assert sorted(random_list(ids[:5], 20, seed=1, key="S1")) == sorted(ids[:5])
    assert random_list([], 20, seed=1, key="S1") == []


def test_oracle_orders_by_utility() -> None:
    assert oracle_list({"P1": 3.0, "P2": 4.0, "P0": 3.0}, 120) == ["P2", "P0", "P1"]


# -- the replay ----------------------------------------------------------------------------


def test_trainer_predictions_line_up_with_the_labelled_examples() -> None:
    events, truth = random_scenario(5)
    result = OfflineEvaluation(truth, EvalConfig(sample_size=30, snapshot_every=100)).run(events)
    # Our log loss over the recorded (prediction, label, weight) triples equals River's
    # LogLoss that the trainer updated itself: each prediction belongs to its example.
    assert result.counts["labelled"] == result.trainer["labelled"] > 500
    assert result.models["jobmatch"]["logloss"] == pytest.approx(
        result.trainer["logloss"], rel=1e-9
    )
    assert result.counts["snapshots"] >= result.counts["labelled"] // 100


def test_examples_see_the_history_before_the_event(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []
    real = evaluation.make_example

    def spy(*args: Any, **kwargs: Any) -> dict[str, Any]:
        example = real(*args, **kwargs)
        made.append(example)
        return example

    monkeypatch.setattr(evaluation, "make_example", spy)
    t0 = NOW_MS
    events = [
        upsert(make_posting("P1", employer_id="E1"), t0),
        upsert(make_posting("P2", employer_id="E1"), t0),
        profile_event(make_profile("S1"), t0),
        act("S1", "P1", "impression", t0 + 1000),
        act("S1", "P1", "apply", t0 + 2000),
        act("S1", "P2", "impression", t0 + 3000),
    ]
    OfflineEvaluation(StaticTruth({"S1": {}})).run(events)
    by_event = {(e["posting_id"], e["action"]): e["features"] for e in made}
    # The apply's own features do not count the apply; the next pair does.
    assert by_event[("P1", "apply")]["hist_employer"] == 0.0
    assert by_event[("P2", "impression")]["hist_employer"] == 0.5


def test_checkpoints_measure_only_eligible_postings() -> None:
    t0 = NOW_MS
    day = DAY_MS
    events = [
        upsert(make_posting("P-open"), t0),
        upsert(make_posting("P-closed"), t0),
        upsert(make_posting("P-applied"), t0),
        upsert(make_posting("P-expired", deadline="2026-09-21"), t0),  # last day: NOW
        upsert(make_posting("P-dull"), t0),
        profile_event(make_profile("S1"), t0),
        close("P-closed", t0 + HOUR_MS),
        act("S1", "P-applied", "apply", t0 + 2 * HOUR_MS),
        act("S1", "P-dull", "impression", t0 + day + HOUR_MS),
    ]
    truth = StaticTruth(
        {"S1": dict.fromkeys(["P-open", "P-closed", "P-applied", "P-expired"], 3.0)}
    )
    result = OfflineEvaluation(truth).run(events, end_ms=t0 + 2 * day)
    # One checkpoint per day after the first event; the last falls on end_ms.
    assert [c.at_ms for c in result.checkpoints] == [t0 + day, t0 + 2 * day]
    first = result.checkpoints[0]
    # Closed, applied-to and expired postings are not eligible: only P-open is relevant.
    assert (first.evaluated, first.mean_relevant, first.eligible_postings) == (1, 1.0, 3)
    assert first.models["oracle"]["recall@120"] == 1.0
    assert first.models["jobmatch"]["recall@120"] == 1.0  # it matches the profile exactly
    assert first.fates["listed"] == 1


def test_fates_say_why_jobmatch_misses_a_relevant_posting() -> None:
    t0 = NOW_MS
    events = [
        upsert(make_posting("P-fit"), t0),
        upsert(make_posting("P-far", region_code="26350", region_name="부산 해운대구"), t0),
        upsert(
            make_posting(
                "P-unrelated",
                occupation_code="041",
                title="병동 간호사",
                skills=(),
                employer_id="E2",
            ),
            t0,
        ),
        profile_event(make_profile("S1"), t0),
    ]
    truth = StaticTruth({"S1": dict.fromkeys(["P-fit", "P-far", "P-unrelated"], 3.0)})
    result = OfflineEvaluation(truth).run(events, end_ms=t0 + HOUR_MS)
    assert set(result.fates) == set(FATES)
    # The far posting is listed (region is soft, it ranks lower); the unrelated one shares
    # nothing the seeker asked for. No relevant posting is eligible yet vetoed: every hard
    # filter (expired, applied, dismissed) also makes a posting ineligible.
    assert (result.fates["listed"], result.fates["not_retrieved"]) == (2, 1)
    assert sum(n for fate, n in result.fates.items() if fate.startswith("vetoed:")) == 0
    assert result.vetoed_share() == 0.0


def test_recall_is_broken_down_by_the_seekers_interactions() -> None:
    t0 = NOW_MS
    events = [
        upsert(make_posting("P-fit"), t0),
        upsert(make_posting("P-other", employer_id="E2"), t0),
        profile_event(make_profile("S0"), t0),
        profile_event(make_profile("S2"), t0),
        profile_event(make_profile("S6"), t0),
        # Impressions are not interactions of the seeker; clicks and dismisses are.
        act("S0", "P-other", "impression", t0 + 1),
        *(act("S2", "P-other", "click", t0 + 2 + i) for i in range(2)),
        *(act("S6", "P-other", "click", t0 + 10 + i) for i in range(5)),
        act("S6", "P-other", "dismiss", t0 + 20),
    ]
    truth = StaticTruth({s: {"P-fit": 3.0} for s in ("S0", "S2", "S6")})
    result = OfflineEvaluation(truth).run(events, end_ms=t0 + HOUR_MS)
    by = result.recall_by_interactions
    assert {b: v["lists"] for b, v in by.items()} == {"0": 1, "1-4": 1, "5+": 1}
    # Each bucket holds one list whose only relevant posting the oracle finds.
    assert all(v["oracle"] == 1.0 for v in by.values())
    assert result.checkpoints[-1].by_interactions["5+"]["lists"] == 1


def test_lists_are_served_to_known_active_seekers_only() -> None:
    t0 = NOW_MS
    ev = OfflineEvaluation(StaticTruth({"S1": {}}))
    for family, event in [
        upsert(make_posting("P1"), t0),
        profile_event(make_profile("S1"), t0),
        profile_event(make_profile("S2"), t0),
        deactivate("S2", t0 + 1),
    ]:
        ev.observe(family, event)
    assert ev.get_lists(["S1", "S2", "S3"]) == {"S1": ["P1"]}


def test_oracle_bounds_every_model_at_every_checkpoint() -> None:
    events, truth = random_scenario(11, steps=600)
    result = OfflineEvaluation(truth, EvalConfig(sample_size=40)).run(events)
    assert result.checkpoints and any(c.evaluated for c in result.checkpoints)
    for c in result.checkpoints:
        if not c.evaluated:
            continue
        for model in MODELS:
            for measure in ("recall@120", "ndcg@120", "apply_rate"):
                assert c.models["oracle"][measure] >= c.models[model][measure] - 1e-12


def test_a_replay_is_deterministic_for_a_seed() -> None:
    events, truth = random_scenario(2, steps=400)

    def measured(seed: int) -> dict[str, Any]:
        result = OfflineEvaluation(truth, EvalConfig(seed=seed, sample_size=20)).run(events)
        obj = result.to_obj()
        del obj["run"]["seconds"]
        return obj

    assert measured(1) == measured(1)
    # Another seed draws other seekers and another random model.
    assert measured(1)["models"]["random"] != measured(2)["models"]["random"]


def test_result_json_has_every_model_and_measure() -> None:
    events, truth = random_scenario(4, steps=300)
    obj = OfflineEvaluation(truth, EvalConfig(sample_size=20)).run(events).to_obj()
    assert list(obj["models"]) == list(MODELS)
    for name, values in obj["models"].items():
        assert set(values) == {
            "recall@120",
            "ndcg@120",
            "auc",
            "logloss",
            "apply_rate",
            "list_length",
        }, name
    assert set(obj["recall_by_interactions"]) == {"0", "1-4", "5+"}
    assert set(obj["jobmatch_fates"]) == set(FATES)
    # Lists per bucket add up to the lists evaluated.
    lists = sum(b["lists"] for b in obj["recall_by_interactions"].values())
    assert lists == obj["run"]["counts"]["evaluated_lists"]
    assert obj["models"]["random"]["logloss"] is None
    assert 0.0 <= obj["models"]["jobmatch"]["auc"] <= 1.0
    assert obj["config"]["sample_size"] == 20


def test_an_evaluation_runs_once() -> None:
    ev = OfflineEvaluation(StaticTruth({}))
    ev.observe(*upsert(make_posting("P1"), NOW_MS))
    ev.finish()
    with pytest.raises(RuntimeError, match="finished"):
        ev.observe(*upsert(make_posting("P2"), NOW_MS))
    with pytest.raises(RuntimeError, match="already"):
        ev.finish()


def test_config_rejects_what_cannot_work() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EvalConfig(k=0)
    with pytest.raises(ValueError, match="at least 1"):
        EvalConfig(checkpoint_ms=0)


def test_the_tokenizer_given_is_the_one_used_throughout() -> None:
    # No occupation in common: the posting can only be found through the title, and
    # "지게차" finds "지게차운전" through bigrams but not as a whole word.
    posting = make_posting("P1", title="지게차운전 기사", occupation_code="023", skills=())
    seeker = make_profile("S1", desired_titles=("지게차",), skills=())
    lists = {}
    for tokenizer in (DEFAULT_TOKENIZER, WordTokenizer()):
        ev = OfflineEvaluation(StaticTruth({"S1": {"P1": 1.0}}), tokenizer=tokenizer)
        ev.observe(*upsert(posting, NOW_MS))
        ev.observe(*profile_event(seeker, NOW_MS))
        lists[tokenizer.name] = ev.get_lists(["S1"])
        result = ev.finish()
        assert ev.snapshot is not None and ev.snapshot.tokenizer == tokenizer.name
        assert result.tokenizer == tokenizer.name
        assert result.to_obj()["config"]["tokenizer"] == tokenizer.name
    assert lists == {"char2": {"S1": ["P1"]}, "words": {}}


def test_static_truth_restricts_to_the_asked_postings() -> None:
    truth = StaticTruth({"S1": {"P1": 3.0, "P2": 4.0}})
    assert truth.relevant("S1", ["P2", "P9"]) == {"P2": 4.0}
    assert truth.score("S1", "P9") == -math.inf
    assert np.isneginf(truth.score("S9", "P1"))
