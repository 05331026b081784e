"""A worker's engine over a simulated market, for the in-process benchmarks."""

from __future__ import annotations

from online_model.live.engine import LiveEngine
from online_model.training import Trainer
from simulator import Market, MarketConfig


def catalog_engine(
    seekers: int, postings: int, seed: int, *, start_ms: int
) -> tuple[LiveEngine, Market]:
    """The market, and an engine with the model's first snapshot and the market's postings
    read (as a worker's catalog catch-up reads them: no fan-out); no seeker yet."""
    market = Market.generate(
        MarketConfig(seekers=seekers, postings=postings, start_ms=start_ms), seed
    )
    engine = LiveEngine()
    engine.offer_snapshot(Trainer().snapshot(now_ms=start_ms))
    for state in market.postings:
        engine.posting_upserted(state.posting, live=False)
    return engine, market
