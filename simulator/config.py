"""What a market is given and what a run of it counts: its sizes and rates, its statistics.

:class:`MarketConfig` sizes a :class:`~simulator.market.Market`; :class:`MarketStats` is
what the simulation (:mod:`simulator.simulation`) counts as it runs. Both the market and
the simulation read them, so they live apart from either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from simulator.entities import KST

# Offline runs start on a fixed Monday so that every run with one seed is identical.
OFFLINE_START_MS = int(datetime(2026, 11, 2, tzinfo=KST).timestamp()) * 1000


@dataclass(frozen=True)
class MarketConfig:
    """Sizes and rates of a market; the defaults are the demo market."""

    seekers: int = 5000
    postings: int = 2000  # open at the start; arrivals keep the market near this size
    employers: int | None = None  # default: one per 2.5 postings
    start_ms: int = OFFLINE_START_MS
    reco_share: float = 0.7  # of sessions that open the recommendations (when there is a source)
    list_size: int = 120  # items of a recommendation list a seeker can scroll through
    search_page_size: int = 30
    tick_seconds: int = 300  # sessions of one tick share one ListSource call
    posting_lifetime_days: float = 21.0  # mean life of a posting, for the arrival rate
    profile_change_rate: float = 0.03  # edits per active seeker per day
    registration_rate: float = 0.006  # new seekers per day, as a share of ``seekers``
    deactivation_rate: float = 0.004  # seekers leaving per day (besides those hired)
    deactivate_after_hire: float = 0.6
    # Share of seekers who publish an empty profile (simulator.scenarios): 0 states every
    # profile, 1 is the behaviour-only scenario. Their hidden preference is unchanged.
    empty_profile_share: float = 0.0

    def __post_init__(self) -> None:
        if self.seekers < 1 or self.postings < 1:
            raise ValueError("a market needs at least one seeker and one posting")
        if not 0.0 <= self.reco_share <= 1.0:
            raise ValueError(f"reco_share must be within [0, 1], got {self.reco_share}")
        if not 0.0 <= self.empty_profile_share <= 1.0:
            raise ValueError(
                f"empty_profile_share must be within [0, 1], got {self.empty_profile_share}"
            )
        if self.tick_seconds < 1:
            raise ValueError("tick_seconds must be at least 1")
        if self.list_size < 1 or self.search_page_size < 1:
            raise ValueError("list_size and search_page_size must be at least 1")


@dataclass
class MarketStats:
    """What happened in a run, counted as the simulation goes."""

    sessions: int = 0
    reco_requests: int = 0  # sessions that asked the list source
    reco_found: int = 0  # ... and got a non-empty list of open postings
    stale_list_items: int = 0  # list entries the market already knew closed or unknown
    search_sessions: int = 0
    empty_sessions: int = 0  # sessions whose list was empty even after broadening
    actions: dict[str, int] = field(default_factory=dict)
    postings_opened: int = 0
    postings_closed: dict[str, int] = field(default_factory=dict)  # by reason
    profile_updates: int = 0
    registrations: int = 0
    deactivations: int = 0

    @property
    def reco_found_share(self) -> float:
        """Share of sessions that asked for a recommendation list and found one."""
        return self.reco_found / self.reco_requests if self.reco_requests else 0.0
