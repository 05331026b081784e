"""A synthetic, closed-loop job market modelled on 고용24, for the demo, tests and benchmarks.

Employers post jobs with real 고용24 occupation codes and 시군구 codes (about half in
수도권); seekers (고졸 and over-40 seekers well represented) search, open their
recommendations, click, save, apply, dismiss and get hired; postings open through the day,
close when filled or withdrawn and expire after their deadline; profiles change; seekers
register and leave. Each seeker has a hidden utility over postings (occupation, region
distance, wage, employment type, skills, certificates, a hidden per-posting appeal) that
drives what they do and defines the ground truth.

Python API
----------
``Market.generate(config: MarketConfig, seed: int) -> Market``
    Draw the market at its start. ``MarketConfig(seekers=5000, postings=2000, ...)``; the
    offline clock starts at 2026-11-02 00:00 KST (``start_ms``).
``market.events(*, days=None, list_source=None, event_id_prefix=None)``
    Run it: an iterator of ``(topic_family, event)`` in time order, ``topic_family`` one
    of ``"postings"``, ``"profiles"``, ``"interactions"`` and ``event`` the
    :mod:`schemas` dataclass. First the initial market (every open posting, every
    profile), then the activity. ``days=None`` runs until you stop iterating. A market
    runs once (generate it again with the same seed to replay).
``ListSource``
    ``get_lists(seeker_ids) -> {seeker_id: [posting_id, ...]}`` (best first), asked once
    per tick for the seekers starting a session. A session with a list shows it
    (``source="reco"``, with ``position``); without one (no source, empty or missing
    list) it searches (``source="search"``). Pass your in-process recommender, a
    :class:`StaticListSource`, or :class:`~simulator.runner.RedisListSource`.
``market.utility(seeker_id, posting_id) -> float``, ``market.utilities(seeker_id, ids)``
    The hidden utility (deterministic, no noise).
``market.would_apply(seeker_id, posting_id) -> bool``
    ``utility > market.threshold(seeker_id)``.
``market.truth(posting_ids=None)``
    For every seeker, ``(seeker_id, {posting_id: utility})`` of what they would apply to.
``market.open_posting_ids()``, ``market.posting(id)``, ``market.profile(id)``, ``market.stats``
    The current state (the run changes it) and counters of the run.

Runner functions (:mod:`simulator.runner`, what ``jobmatch simulate`` calls):
``run_offline(market, *, days, list_source=None, max_events=None, log_path=None,
progress=None) -> RunSummary``, ``run_live(market, producer, *, rate, duration_s=None,
max_events=None, days=None, list_source=None, log_path=None, progress=None,
event_id_prefix=None) -> RunSummary``, ``write_truth(market, path, posting_ids) ->
TruthSummary`` and ``RedisListSource(settings, *, size=120)``.

Examples
--------
>>> from simulator import Market, MarketConfig
>>> market = Market.generate(MarketConfig(seekers=50, postings=40), seed=1)
>>> family, event = next(market.events(days=1))
>>> family, event.op, event.posting_id
('postings', 'upsert', 'P000001')
>>> u = market.utility("S000001", "P000001")
>>> market.would_apply("S000001", "P000001") == (u > market.threshold("S000001"))
True
"""

from simulator.config import OFFLINE_START_MS, MarketConfig, MarketStats
from simulator.market import Market
from simulator.sources import ListSource, StaticListSource

__all__ = [
    "OFFLINE_START_MS",
    "ListSource",
    "Market",
    "MarketConfig",
    "MarketStats",
    "StaticListSource",
]
