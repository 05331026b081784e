"""What every seeker's list should be: a fresh full recompute from the event log.

Replays the events in log order through the same pure state functions the workers use
(:mod:`online_model.live.seeker_state`) and ranks every active seeker from scratch with
:func:`online_model.recommend.rank_seeker` under one model snapshot. The streaming path
(incremental inserts, removals, restarts, rebalances) must end at exactly this.

The item-to-item neighbours are folded from the neighbour topic's records, in topic order,
as every worker folds them (the records are what the workers published; the oracle does
not make them itself, so it checks that every worker read and applied all of them).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.implicit import implicit_profile
from online_model.live.seeker_state import SeekerState, apply_interaction, apply_profile_event
from online_model.neighbours import CoEngagement, NeighbourIndex, fold
from online_model.recommend import rank_seeker
from online_model.snapshot import Snapshot
from schemas.interactions import Interaction
from schemas.postings import Posting, PostingEvent
from schemas.profiles import ProfileEvent
from settings import Settings

Event = PostingEvent | ProfileEvent | Interaction


def neighbour_records(values: Iterable[bytes]) -> list[CoEngagement]:
    """The records of the neighbour topic's values, in order."""
    return [CoEngagement.from_obj(orjson.loads(v)) for v in values]


def recompute_lists(
    events: Iterable[tuple[str, Event]],
    snapshot: Snapshot,
    settings: Settings,
    neighbours: Iterable[CoEngagement] = (),
) -> dict[str, list[tuple[str, float]]]:
    """seeker_id -> [(posting_id, score)] best first, for every active seeker."""
    index = fold(NeighbourIndex(), neighbours)
    catalog = PostingCatalog()
    seen: dict[str, Posting] = {}  # latest version of every posting, open or closed
    versions: dict[str, tuple[int, str]] = {}
    seekers: dict[str, SeekerState] = {}
    for family, event in events:
        if isinstance(event, PostingEvent):
            version = (event.ts, event.event_id)
            if version <= versions.get(event.posting_id, (0, "")):
                continue
            versions[event.posting_id] = version
            if event.posting is not None:
                catalog.upsert(event.posting)
                seen[event.posting_id] = event.posting
            else:
                catalog.remove(event.posting_id)
        elif isinstance(event, ProfileEvent):
            state = seekers.get(event.seeker_id, SeekerState())
            seekers[event.seeker_id], _ = apply_profile_event(state, event)
        else:
            assert family == "interactions"
            state = seekers.get(event.seeker_id, SeekerState())
            seekers[event.seeker_id], _ = apply_interaction(
                state, event, seen.get(event.posting_id)
            )
    ctx = RankContext(now_ms=snapshot.created_at_ms, stats=snapshot.stats)
    out: dict[str, list[tuple[str, float]]] = {}
    for seeker_id, state in sorted(seekers.items()):
        if state.profile is None:
            continue
        # As a worker derives it: from every posting seen, open or closed.
        implicit = implicit_profile(
            state.history.engagements,
            seen.get,
            now_ms=ctx.now_ms,
            tokenizer=catalog.tokenizer,
            neighbours=index,
        )
        ranked = rank_seeker(
            state.profile,
            state.history,
            catalog,
            snapshot.ranker,
            ctx,
            k=settings.seeker_list_size,
            max_per_employer=settings.max_per_employer,
            implicit=implicit,
        )
        out[seeker_id] = [(item.posting_id, item.score) for item in ranked.topk.items()]
    return out
