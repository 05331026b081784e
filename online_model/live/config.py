"""The sizes and horizons the live engine works with (the worker maps its settings here)."""

from __future__ import annotations

from dataclasses import dataclass

from online_model.recommend import POSTING_LIST_SIZE
from online_model.topk import MAX_PER_EMPLOYER, RESERVE, K


@dataclass(frozen=True)
class LiveConfig:
    seeker_list_size: int = K
    posting_list_size: int = POSTING_LIST_SIZE
    max_per_employer: int = MAX_PER_EMPLOYER
    # Next-best candidates kept beside each list (online_model.topk: the window), so that a
    # posting leaving it is replaced without a re-rank; 0 re-ranks every full list it left.
    seeker_list_reserve: int = RESERVE
    # Every list is re-ranked at least this often (and after every new model).
    sweep_horizon_seconds: float = 3600.0
    # A seeker heard of by no event for this long is no longer refreshed; their keys expire.
    seeker_ttl_seconds: int = 30 * 24 * 3600
