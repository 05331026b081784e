"""Examples, labels, statistics and the trainer."""

from __future__ import annotations

from typing import Any

from online_model.context import STATS_HALF_LIFE_MS, RankContext
from online_model.history import SeekerHistory
from online_model.training import (
    WINDOW_MS,
    LabelJoiner,
    PostingStatsAccumulator,
    Trainer,
    make_example,
)
from tests.online_model.factories import NOW_MS, make_interaction, make_posting, make_profile


def _example(action: str, ts: int, pid: str = "P1", sid: str = "S1", **kw: Any) -> dict[str, Any]:
    interaction = make_interaction(sid, pid, action, ts, **kw)
    return make_example(
        interaction, make_profile(sid), SeekerHistory(), make_posting(pid), RankContext(ts)
    )


def _labels(joiner: LabelJoiner, examples: list[dict[str, Any]]) -> list[tuple[str, bool, float]]:
    out = []
    for ex in examples:
        out += [(lab.action, lab.y, lab.w) for lab in joiner.observe(ex)]
    out += [(lab.action, lab.y, lab.w) for lab in joiner.flush()]
    return out


def test_example_is_json_able_and_carries_the_shown_features() -> None:
    import orjson

    ex = _example("impression", NOW_MS, source="reco", position=4)
    assert orjson.loads(orjson.dumps(ex)) == ex
    assert ex["features"]["occ_middle"] == 1.0 and ex["position"] == 4


def test_labels_and_weights() -> None:
    t = NOW_MS
    joiner = LabelJoiner()
    labels = _labels(
        joiner,
        [
            _example("impression", t, "P1"),
            _example("click", t + 1000, "P1"),
            _example("apply", t + 2000, "P1"),  # upgrades the click to an apply's weight
            _example("impression", t, "P2"),
            _example("dismiss", t + 1000, "P2"),
            _example("impression", t, "P3"),  # ignored: a negative once the window closes
            _example("impression", t, "P4"),
            _example("save", t + 1000, "P4"),
            _example("apply", t + 5000, "P5"),  # from search: no impression needed
        ],
    )
    assert labels == [
        ("click", True, 1.0),
        ("apply", True, 2.0),
        ("dismiss", False, 3.0),
        ("save", True, 0.5),
        ("apply", True, 3.0),
        ("impression", False, 1.0),
    ]


def test_an_action_after_the_window_does_not_rescue_the_impression() -> None:
    t = NOW_MS
    labels = _labels(
        LabelJoiner(),
        [_example("impression", t), _example("click", t + WINDOW_MS + 1)],
    )
    assert labels == [("impression", False, 1.0), ("click", True, 1.0)]


def test_repeated_event_counts_once() -> None:
    t = NOW_MS
    apply = _example("apply", t + 10)
    labels = _labels(LabelJoiner(), [_example("impression", t), apply, apply, apply])
    assert labels == [("apply", True, 3.0)]
    trainer = Trainer()
    for ex in (_example("impression", t), apply, apply):
        trainer.observe(ex)
    assert trainer.metrics()["examples"] == 2 and trainer.stats.freeze(now_ms=t)["P1"].applies == 1


def test_negative_sampling_is_deterministic_under_the_seed() -> None:
    examples = [_example("impression", NOW_MS + i, f"P{i}") for i in range(400)]

    def kept(seed: int) -> list[str]:
        j = LabelJoiner(negative_rate=0.25, seed=seed)
        for ex in examples:
            j.observe(ex)
        return [lab.posting_id for lab in j.flush()]

    assert kept(1) == kept(1) != kept(2)
    assert 60 < len(kept(1)) < 140  # about a quarter
    j = LabelJoiner(negative_rate=0.25, seed=1)
    j.observe(examples[0])
    assert all(lab.w == 4.0 for lab in j.flush())  # kept negatives weigh 1 / rate


def test_statistics_decay_with_event_time() -> None:
    acc = PostingStatsAccumulator()
    for i in range(8):
        acc.update("P1", "impression", NOW_MS + i)
    acc.update("P1", "apply", NOW_MS + 10)
    acc.update("P1", "click", NOW_MS + 10)  # not a statistic
    stats = acc.freeze(now_ms=NOW_MS + 10)
    later = NOW_MS + 10 + int(STATS_HALF_LIFE_MS)
    assert round(stats.impressions("P1", now_ms=later), 6) == 4.0
    assert stats.is_low_exposure("P1", now_ms=later)
    # Long gone postings are pruned from the snapshot.
    assert len(acc.freeze(now_ms=NOW_MS + 20 * int(STATS_HALF_LIFE_MS))) == 0


def test_trainer_validates_before_learning() -> None:
    trainer = Trainer()
    t = NOW_MS
    for i in range(60):
        pid = f"P{i}"
        trainer.observe(_example("impression", t + i, pid))
        if i % 3 == 0:
            trainer.observe(_example("apply", t + i, pid))
    trainer.flush()
    m = trainer.metrics()
    assert m["labelled"] == 60 and m["positives"] == 20
    assert 0.0 <= m["auc"] <= 1.0 and m["logloss"] > 0
    first = trainer.snapshot(now_ms=t + 100)
    second = trainer.snapshot(now_ms=t + 200)
    assert (first.version, second.version) == (1, 2)
    resumed = Trainer.from_snapshot(second)
    assert resumed.snapshot(now_ms=t + 300).version == 3
