"""Replay a recorded event stream and measure lists against held-out later interactions.

:func:`replay` feeds contract events, in time order, through the same path as
:class:`~online_model.evaluation.OfflineEvaluation` (catalog, profiles, histories,
training examples, the online trainer and its snapshots; lists from
:func:`~online_model.recommend.rank_seeker`, which the live engine ranks with), then
ranks each held-out seeker's list with the last snapshot and asks whether it holds the
postings the seeker went on to engage with.

For every seeker with an active profile and at least one held-out posting that is
still eligible at the end of the replay (open, not past its deadline, not applied to or
dismissed): ``hit_rate@k`` = share of those seekers whose top ``k`` holds one of their
held-out postings; ``mrr`` = mean of ``1 / rank`` of the first one (0 when none is
listed). Models: ``jobmatch``, ``popularity`` (decayed apply rate) and ``random`` (seeded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from online_model.baselines import popularity_order, random_list
from online_model.context import RankContext
from online_model.evaluation import EvalConfig, OfflineEvaluation, ProgressLike, StaticTruth
from online_model.evaluation_metrics import reciprocal_rank
from online_model.history import SeekerHistory
from schemas import Event

REPLAY_MODELS: tuple[str, ...] = ("jobmatch", "popularity", "random")


@dataclass(frozen=True)
class ReplayResult:
    """Hit rate and MRR of every model, and what was counted on the way."""

    k: int
    models: dict[str, dict[str, float | None]]  # model -> {"hit_rate@k", "mrr"}
    counts: dict[str, int] = field(default_factory=dict)

    def to_obj(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {"k": self.k, "models": self.models, "counts": dict(self.counts)}


def replay(
    events: Iterable[tuple[str, Event]],
    held_out: Mapping[str, Iterable[str]],
    *,
    k: int = 120,
    seed: int = 1,
    progress: ProgressLike | None = None,
) -> ReplayResult:
    """Replay ``events`` (``(family, event)`` in ts order) and score lists on ``held_out``.

    Parameters
    ----------
    events
        Contract events in time order, as :meth:`OfflineEvaluation.observe` takes them.
    held_out
        ``{seeker_id: posting ids}`` the seeker engaged with after the events.
    k
        List length.
    seed
        Seed of the ``random`` model.
    progress
        Told about every 200 events replayed.

    Examples
    --------
    >>> from schemas.postings import Posting, PostingEvent
    >>> from schemas.profiles import Profile, ProfileEvent
    >>> p = Posting("P1", "E1", "x", "지게차 운전", 0, occupation_code="07C")
    >>> events = [("postings", PostingEvent("e1", 0, "upsert", "P1", p)),
    ...           ("profiles", ProfileEvent("e2", 0, "upsert", "S1",
    ...                        Profile("S1", desired_occupation_codes=("07C",))))]
    >>> r = replay(events, {"S1": ["P1"], "S9": ["P1"]})
    >>> r.models["jobmatch"], r.counts["seekers_evaluated"], r.counts["seekers_without_profile"]
    ({'hit_rate@120': 1.0, 'mrr': 1.0}, 1, 1)
    """
    # No ground truth: the checkpoints of the evaluation measure nothing here (cheap), and
    # the held-out pairs are scored below, once, at the end.
    evaluation = OfflineEvaluation(
        StaticTruth({}), EvalConfig(k=k, seed=seed, sample_size=1), progress=progress
    )
    result = evaluation.run(events)
    catalog = evaluation.catalog
    end_ms = max(result.checkpoints[-1].at_ms if result.checkpoints else 0, 0)
    snap = evaluation.snapshot
    assert snap is not None  # finish() snapshots at its last checkpoint
    ctx = RankContext(now_ms=end_ms, stats=snap.stats)
    alive = catalog.alive_slots()
    open_slots = alive[catalog.deadline[alive] > end_ms]
    open_ids = [str(p) for p in catalog.posting_ids[open_slots]]
    open_set = set(open_ids)
    popular = popularity_order(catalog, open_slots, ctx)

    sums = {m: [0.0, 0.0] for m in REPLAY_MODELS}  # hits, reciprocal ranks
    counts = {
        "events_replayed": sum(v for n, v in result.counts.items() if n.startswith("events.")),
        "held_out_seekers": 0,
        "held_out_pairs": 0,
        "seekers_without_profile": 0,
        "seekers_without_eligible_posting": 0,
        "seekers_evaluated": 0,
    }
    for sid in sorted(held_out):
        wanted = set(held_out[sid])
        counts["held_out_seekers"] += 1
        counts["held_out_pairs"] += len(wanted)
        if sid not in evaluation.profiles:
            counts["seekers_without_profile"] += 1
            continue
        history = evaluation.histories.get(sid, SeekerHistory())
        done = set(history.applied) | set(history.dismissed)
        relevant = {p for p in wanted if p in open_set and p not in done}
        if not relevant:
            counts["seekers_without_eligible_posting"] += 1
            continue
        counts["seekers_evaluated"] += 1
        eligible = [p for p in open_ids if p not in done]
        lists = {
            "jobmatch": evaluation.get_lists([sid]).get(sid, []),
            "popularity": [p for p in popular if p not in done][:k],
            "random": random_list(eligible, k, seed=seed, key=sid),
        }
        for model, ranked in lists.items():
            rr = reciprocal_rank(ranked[:k], relevant)
            sums[model][0] += rr > 0.0
            sums[model][1] += rr
    n = counts["seekers_evaluated"]
    models: dict[str, dict[str, float | None]] = {
        m: {f"hit_rate@{k}": hits / n if n else None, "mrr": rr / n if n else None}
        for m, (hits, rr) in sums.items()
    }
    return ReplayResult(k=k, models=models, counts=counts)
