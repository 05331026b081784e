"""Everything one worker is made of, built once by :func:`streams.worker.build_worker`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import faust

from online_model.live.engine import LiveEngine
from settings import Settings
from streams.channels import Channels
from streams.consumption_pause import ConsumptionPause
from streams.dead_letters import DeadLetterSink
from streams.feeds import CatalogFeed, ModelFeed
from streams.lag import ProcessedOffsets
from streams.neighbour_feed import NeighbourFeed
from streams.offset_order import OffsetOrder
from streams.redis_rebuild import MarkerWatch, Rebuild
from streams.redis_writer import RedisWriter
from streams.trainer import TrainerService


@dataclass
class Runtime:
    settings: Settings
    app: faust.App
    channels: Channels
    seekers_table: faust.Table  # seeker_id -> SeekerState.to_obj()
    postings_table: faust.Table  # posting_id -> PostingRecord.to_obj()
    engine: LiveEngine
    writer: RedisWriter
    dead_letters: DeadLetterSink
    catalog_feed: CatalogFeed
    model_feed: ModelFeed
    neighbour_feed: NeighbourFeed
    trainer: TrainerService
    redis_marker: MarkerWatch
    rebuild: Rebuild
    pause: ConsumptionPause
    processed: ProcessedOffsets  # the next offset to handle, per partition
    offset_order: OffsetOrder  # admits each event in offset order (streams.offset_order)
    # The partition of every seeker (profiles/interactions) and posting this worker handled
    # an event of: after a rebalance, whether it still owns them (streams.worker.owned_keys).
    partition_of_seeker: dict[str, int] = field(default_factory=dict)
    partition_of_posting: dict[str, int] = field(default_factory=dict)
    # Each agent's batch of handled, not yet acknowledged events (streams.agents._Batches),
    # finished by the worker before it lets its partitions go on SIGTERM.
    open_batches: set[Any] = field(default_factory=set)
    # Set once the catalog has caught up and a model snapshot is loaded: agents and the
    # sweeper wait for it, so nobody is ranked against half a catalog.
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    # Batches the agents have handled: the sweeper compares it across a tick to see
    # whether events are flowing.
    batches_handled: int = 0
