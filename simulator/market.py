"""The market: its entities, their hidden preferences, and questions about them.

:meth:`Market.generate` draws employers, the postings open at the start and the seekers
from a seed; :meth:`Market.events` runs the simulation (:mod:`simulator.simulation`)
and yields the events it produces. ``utility`` and ``would_apply`` answer from the market's
current state, which the simulation changes as it runs (profiles edited, postings
closed); after a run they describe the end of it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator

import numpy as np

from schemas import Event
from schemas.postings import Posting
from schemas.profiles import Profile
from simulator.config import MarketConfig, MarketStats
from simulator.entities import (
    DAY_MS,
    Employer,
    Generator,
    PostingState,
    SeekerState,
    index_of,
)
from simulator.geography import geography
from simulator.preference import PostingColumns, SeekerVector, seeker_vector, utilities
from simulator.search import JobBoard
from simulator.simulation import Simulation
from simulator.sources import ListSource
from simulator.vocabulary import occupation_profiles


class Market:
    """A synthetic job market; build it with :meth:`generate`."""

    def __init__(self, config: MarketConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        self.geo = geography()
        self.occupations = occupation_profiles()
        self.generator = Generator(random.Random(f"{seed}:entities"), self.geo, self.occupations)
        self.columns = PostingColumns(self.geo, self.occupations, capacity=config.postings * 2)
        self.postings: list[PostingState] = []
        self.seekers: list[SeekerState] = []
        self.employers: list[Employer] = []
        self.board = JobBoard(self.postings)
        self.stats = MarketStats()
        self._employer_cum: list[float] = []
        self._vectors: dict[int, SeekerVector] = {}
        self._ran = False

    @classmethod
    def generate(cls, config: MarketConfig, seed: int) -> Market:
        """The market at its start: employers, open postings and seekers drawn from ``seed``."""
        market = cls(config, seed)
        gen = market.generator
        n_employers = config.employers or max(1, round(config.postings / 2.5))
        market.employers = gen.employers(n_employers)
        total = 0.0
        for e in market.employers:
            total += e.weight
            market._employer_cum.append(total)
        # Open postings at the start were posted during the previous 30 days.
        rng = gen.rng
        times = sorted(
            config.start_ms - rng.randrange(1, 30 * DAY_MS) for _ in range(config.postings)
        )
        for posted_at in times:
            market.add_posting(market.new_posting(posted_at))
        for i in range(config.seekers):
            market.seekers.append(gen.seeker(i))
        return market

    # --- questions -------------------------------------------------------------------

    def utility(self, seeker_id: str, posting_id: str) -> float:
        """The seeker's hidden utility for the posting (deterministic, no noise)."""
        return float(self.utilities(seeker_id, [posting_id])[0])

    def utilities(self, seeker_id: str, posting_ids: Iterable[str]) -> np.ndarray:
        """The seeker's utility for each posting, in the order given."""
        seeker = self.seekers[self._seeker_index(seeker_id)]
        rows = np.fromiter((self._posting_index(p) for p in posting_ids), dtype=np.intp)
        return self.utilities_at(seeker, rows)

    def would_apply(self, seeker_id: str, posting_id: str) -> bool:
        """Whether the seeker's utility for the posting exceeds their threshold."""
        seeker = self.seekers[self._seeker_index(seeker_id)]
        return self.utility(seeker_id, posting_id) > seeker.taste.threshold

    def threshold(self, seeker_id: str) -> float:
        """The utility above which the seeker would apply (hidden)."""
        return self.seekers[self._seeker_index(seeker_id)].taste.threshold

    def truth(
        self, posting_ids: Iterable[str] | None = None
    ) -> Iterator[tuple[str, dict[str, float]]]:
        """For every seeker, in id order: ``{posting_id: utility}`` of what they would apply to.

        Over ``posting_ids`` (default: every posting the market has published).
        """
        if posting_ids is None:
            rows = np.arange(len(self.postings), dtype=np.intp)
        else:
            rows = np.fromiter((self._posting_index(p) for p in posting_ids), dtype=np.intp)
        ids = [self.postings[i].posting.posting_id for i in rows]
        for seeker in self.seekers:
            u = self.utilities_at(seeker, rows)
            hits = np.flatnonzero(u > seeker.taste.threshold)
            yield seeker.seeker_id, {ids[k]: round(float(u[k]), 6) for k in hits}

    def posting(self, posting_id: str) -> Posting:
        return self.postings[self._posting_index(posting_id)].posting

    def profile(self, seeker_id: str) -> Profile:
        return self.seekers[self._seeker_index(seeker_id)].profile

    def open_posting_ids(self) -> list[str]:
        return [s.posting.posting_id for s in self.postings if s.open]

    def active_seeker_ids(self) -> list[str]:
        return [s.seeker_id for s in self.seekers if s.active]

    # --- running ---------------------------------------------------------------------

    def events(
        self,
        *,
        days: float | None = None,
        list_source: ListSource | None = None,
        event_id_prefix: str | None = None,
    ) -> Iterator[tuple[str, Event]]:
        """Run the market: ``(topic family, event)`` in time order, starting with the market.

        ``days`` simulated days (None: until the caller stops iterating). A market runs
        once; generate a new one (same seed, same config) to replay it.
        """
        self.begin_run()
        return iter(
            Simulation(
                self,
                days=days,
                list_source=list_source,
                event_id_prefix=event_id_prefix or f"sim{self.seed}",
            )
        )

    def begin_run(self) -> None:
        """Claim the market for one run (its state follows the run): a second raises."""
        if self._ran:
            raise RuntimeError("this market has already run; generate a new one to run again")
        self._ran = True

    # --- state changes (used by the simulation) --------------------------------------

    def new_posting(self, posted_at: int) -> PostingState:
        """Draw the next posting (not yet added) from a skew-weighted employer."""
        gen = self.generator
        employer = gen.rng.choices(self.employers, cum_weights=self._employer_cum)[0]
        return gen.posting(len(self.postings), employer, posted_at, self.config.start_ms)

    def add_posting(self, state: PostingState) -> None:
        self.postings.append(state)
        self.columns.add(state)
        self.board.add(state)

    def close_posting(self, state: PostingState, ts: int) -> None:
        state.open = False
        state.closed_at = ts
        self.board.remove(state)

    def set_profile(self, seeker: SeekerState, profile: Profile) -> None:
        seeker.profile = profile
        self._vectors.pop(seeker.index, None)

    def vector(self, seeker: SeekerState) -> SeekerVector:
        v = self._vectors.get(seeker.index)
        if v is None:
            v = self._vectors[seeker.index] = seeker_vector(seeker, self.columns)
        return v

    def utilities_at(self, seeker: SeekerState, rows: np.ndarray) -> np.ndarray:
        return utilities(seeker, self.vector(seeker), self.columns, rows)

    def _posting_index(self, posting_id: str) -> int:
        i = _parse_index(posting_id, "P")
        if (
            i is None
            or i >= len(self.postings)
            or self.postings[i].posting.posting_id != posting_id
        ):
            raise KeyError(f"unknown posting {posting_id!r}")
        return i

    def _seeker_index(self, seeker_id: str) -> int:
        i = _parse_index(seeker_id, "S")
        if i is None or i >= len(self.seekers) or self.seekers[i].seeker_id != seeker_id:
            raise KeyError(f"unknown seeker {seeker_id!r}")
        return i


def _parse_index(entity_id: str, letter: str) -> int | None:
    if len(entity_id) < 2 or entity_id[0] != letter or not entity_id[1:].isdigit():
        return None
    i = index_of(entity_id)
    return i if i >= 0 else None
