"""Snapshots: exact round trip, integrity check, increasing versions, small size."""

from __future__ import annotations

import numpy as np
import pytest

from online_model.context import PostingStat, PostingStats, RankContext
from online_model.features import FEATURES
from online_model.history import SeekerHistory
from online_model.ranker import Ranker
from online_model.recommend import rank_seeker
from online_model.snapshot import Snapshot, SnapshotError, SnapshotStore, dumps, loads
from tests.online_model.factories import NOW_MS, Market


def _trained(seed: int = 0) -> Ranker:
    rng = np.random.default_rng(seed)
    ranker = Ranker()
    for _ in range(200):
        x = dict(zip(FEATURES, rng.uniform(0, 1, len(FEATURES)).tolist(), strict=True))
        ranker.learn_one(x, bool(rng.random() < 0.2), w=3.0)
    return ranker


def test_round_trip_gives_identical_scores_and_lists(market: Market, catalog: object) -> None:
    stats = PostingStats(
        {
            p.posting_id: PostingStat(i * 0.37, i * 0.011, NOW_MS - i)
            for i, p in enumerate(market.postings)
        }
    )
    snap = Snapshot(version=7, created_at_ms=NOW_MS, ranker=_trained(), stats=stats)
    back = loads(dumps(snap))
    assert back.version == 7 and back.created_at_ms == NOW_MS
    assert (
        back.ranker.weights == snap.ranker.weights
        and back.ranker.intercept == snap.ranker.intercept
    )
    assert dict(back.stats) == dict(stats)
    rows = np.random.default_rng(1).uniform(0, 1, size=(200, len(FEATURES)))
    assert np.array_equal(back.ranker.score_many(rows), snap.ranker.score_many(rows))
    for profile in market.profiles[:10]:
        a = rank_seeker(profile, SeekerHistory(), catalog, snap.ranker, RankContext(NOW_MS, stats))  # type: ignore[arg-type]
        b = rank_seeker(
            profile, SeekerHistory(), catalog, back.ranker, RankContext(NOW_MS, back.stats)
        )  # type: ignore[arg-type]
        assert a.topk == b.topk
    # Learning continues identically from the restored state.
    x = dict.fromkeys(FEATURES, 1.0)
    snap.ranker.learn_one(x, True)
    back.ranker.learn_one(x, True)
    assert back.ranker.weights == snap.ranker.weights


@pytest.mark.parametrize("damage", ["flip", "truncate", "header", "garbage"])
def test_damaged_bytes_raise_snapshot_error(damage: str) -> None:
    data = bytearray(dumps(Snapshot(version=1, created_at_ms=0, ranker=_trained())))
    if damage == "flip":
        data[len(data) // 2] ^= 0x40
    elif damage == "truncate":
        del data[-10:]
    elif damage == "header":
        data[:4] = b"XXXX"
    else:
        data = bytearray(b"JMSNAP1\n" + b"0" * 64 + b"\nnot zlib")
    with pytest.raises(SnapshotError):
        loads(bytes(data))


def test_versions_only_increase() -> None:
    store = SnapshotStore()
    assert store.offer_bytes(dumps(Snapshot(version=2, created_at_ms=0)))
    assert not store.offer(Snapshot(version=2, created_at_ms=5))  # a replay
    assert not store.offer(Snapshot(version=1, created_at_ms=9))  # out of order
    assert store.offer(Snapshot(version=3, created_at_ms=9)) and store.version == 3


def test_snapshot_with_many_postings_is_small() -> None:
    n = 50_000
    stats = PostingStats(
        {
            f"P{i:07d}": PostingStat(float(i % 97) * 1.37, float(i % 7) * 0.11, NOW_MS - i * 1000)
            for i in range(n)
        }
    )
    size = len(dumps(Snapshot(version=1, created_at_ms=NOW_MS, ranker=_trained(), stats=stats)))
    print(f"snapshot with statistics for {n} postings: {size / 1e6:.2f} MB")
    assert size < 4_000_000  # well inside Kafka's 16 MB message limit
