"""A seeker's list as a sink writes it: best first, each posting with its reasons."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from online_model import topk
from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.explain import explain_rows
from online_model.features import feature_matrix
from online_model.implicit import ImplicitProfile
from online_model.live.seeker_state import SeekerState
from online_model.ranker import Ranker


@dataclass(frozen=True)
class SeekerListView:
    """A seeker's list as it is written: best first, with reasons."""

    items: Sequence[tuple[str, float, Sequence[str]]]  # (posting_id, score, reasons)
    model_version: int
    ttl_seconds: int


def explained_items(
    state: SeekerState,
    ranked: topk.TopKList,
    catalog: PostingCatalog,
    ranker: Ranker,
    ctx: RankContext,
    posting_ids: Collection[str] | None = None,
    implicit: ImplicitProfile | None = None,
) -> list[tuple[str, float, Sequence[str]]]:
    """The items of ``ranked`` among ``posting_ids`` (all when None), best first, with the
    reasons the model gives for each (features of only those rows, with the ``implicit``
    profile the list was ranked with)."""
    assert state.profile is not None
    pairs = zip(ranked.posting_ids.tolist(), ranked.scores.tolist(), strict=True)
    held = [(str(p), float(s)) for p, s in pairs if posting_ids is None or p in posting_ids]
    slots = catalog.slots_of([p for p, _ in held])
    rows = feature_matrix(state.profile, state.history, catalog, slots, ctx, implicit=implicit)
    explained = explain_rows(rows, ranker.weight_vector)
    reasons = dict(zip(catalog.posting_ids[slots].tolist(), explained, strict=True))
    return [(p, score, reasons.get(p, [])) for p, score in held]
