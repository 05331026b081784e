"""Prometheus metrics of a worker, served at ``/metrics``.

Names follow Prometheus conventions (``_total`` counters, ``_seconds`` histograms) and
every label has a small, fixed set of values: never a seeker or posting id. docs/operations.md
describes each one and the alerts built on them.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

from online_model.live.stats import ListStats

# Event time -> list written to Redis, from 10 ms to 24 h.
FRESHNESS_BUCKETS = (
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
    3600.0, 4 * 3600.0, 12 * 3600.0, 24 * 3600.0,
)  # fmt: skip
PROCESSING_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip

EVENTS = Counter(
    "jobmatch_events_total",
    "Events consumed, by topic family and outcome (applied, duplicate, stale, rejected).",
    ["topic", "outcome"],
)
EVENTS_OUT_OF_ORDER = Counter(
    "jobmatch_events_out_of_order_total",
    "Events delivered out of offset order: behind (passed over), ahead (the records "
    "skipped before them are read back and handled first).",
    ["topic", "kind"],
)
DLQ_WRITES = Counter(
    "jobmatch_dlq_writes_total",
    "Messages written to the dead-letter topic, by source topic family and reason.",
    ["topic", "reason"],
)
PROCESSING = Histogram(
    "jobmatch_processing_seconds",
    "Time to handle one event in its agent, Redis writes included.",
    ["topic"],
    buckets=PROCESSING_BUCKETS,
)
FRESHNESS = Histogram(
    "jobmatch_freshness_seconds",
    "Event time to the list that reflects it written in Redis, by event kind.",
    ["kind"],
    buckets=FRESHNESS_BUCKETS,
)
LIST_REFRESHES = Counter(
    "jobmatch_list_refreshes_total",
    "Seeker lists written to Redis, by what caused the refresh.",
    ["reason"],
)
EMPLOYER_LIST_UPDATES = Counter(
    "jobmatch_employer_list_updates_total",
    "Posting (employer) candidate lists written to Redis.",
)
FILTER_VETOES = Counter(
    "jobmatch_filter_vetoes_total",
    "Candidate postings removed by a hard filter before scoring, by filter.",
    ["reason"],
)
INTERACTIONS = Counter(
    "jobmatch_interactions_total",
    "Applied interaction events by action and source; source=reco is the recommendation funnel.",
    ["action", "source"],
)
MODEL_VERSION = Gauge(
    "jobmatch_model_version", "Version of the model snapshot this worker scores with."
)
MODEL_AUC = Gauge(
    "jobmatch_model_auc", "Online ROC AUC of the ranker (progressive validation, trainer)."
)
MODEL_LOGLOSS = Gauge(
    "jobmatch_model_logloss", "Online log loss of the ranker (progressive validation, trainer)."
)
TRAINING_EXAMPLES = Counter(
    "jobmatch_training_examples_total",
    "Labelled examples the trainer learned from, by label.",
    ["label"],
)
SNAPSHOTS_PUBLISHED = Counter(
    "jobmatch_model_snapshots_published_total", "Model snapshots the trainer published."
)
OPEN_POSTINGS = Gauge("jobmatch_open_postings", "Open postings in this worker's catalog.")
ACTIVE_SEEKERS = Gauge(
    "jobmatch_active_seekers",
    "Active seekers owned by this worker, by education level and age band.",
    ["education_level", "age_band"],
)
SEEKERS_WITH_LIST = Gauge(
    "jobmatch_seekers_with_list",
    "Active seekers owned by this worker whose list is not empty, by education level and age band.",
    ["education_level", "age_band"],
)
LIST_ITEMS = Gauge(
    "jobmatch_list_items",
    "Postings in the lists of this worker's active seekers, by education level and age band "
    "(divide by jobmatch_active_seekers for the mean list length).",
    ["education_level", "age_band"],
)
EXPOSURE_BY_GROUP = Gauge(
    "jobmatch_exposure_by_group_ratio",
    "Share of open postings in at least one list of this worker's seekers of the group.",
    ["education_level", "age_band"],
)
COVERAGE = Gauge(
    "jobmatch_coverage_ratio", "Share of this worker's active seekers with a non-empty list."
)
EXPOSED_POSTINGS = Gauge(
    "jobmatch_exposed_postings",
    "Open postings present in at least one list of this worker's seekers.",
)
EXPOSURE = Gauge(
    "jobmatch_exposure_ratio",
    "Share of open postings present in at least one list of this worker's seekers.",
)
CONSUMER_LAG = Gauge(
    "jobmatch_consumer_lag_messages",
    "Messages behind the end of each topic family, summed over this worker's partitions.",
    ["topic"],
)
KAFKA_REACHABLE = Gauge(
    "jobmatch_kafka_reachable",
    "1 when the broker answered this worker's last offset request, 0 when it did not.",
)
STUCK_PARTITIONS = Gauge(
    "jobmatch_stuck_partitions",
    "Assigned partitions with lag whose processed offset has not moved for a minute.",
)
LAST_EVENT = Gauge(
    "jobmatch_last_event_timestamp_seconds",
    "Wall-clock time of the last event consumed, by topic family.",
    ["topic"],
)
SWEEP_PENDING = Gauge(
    "jobmatch_sweep_pending_seekers",
    "Seekers due a full re-rank: no list yet, a list short of closed postings, or an older model.",
)
REDIS_WRITE = Histogram(
    "jobmatch_redis_write_seconds",
    "Duration of one pipelined Redis write round trip.",
    buckets=PROCESSING_BUCKETS,
)
REDIS_WRITE_BLOCKED = Gauge(
    "jobmatch_redis_write_blocked",
    "1 while this worker's Redis writes fail for this reason (streams.redis_health.REASONS).",
    ["reason"],
)
CONSUMPTION_PAUSED = Gauge(
    "jobmatch_consumption_paused",
    "1 while this worker has paused its event partitions: Redis refuses its writes for a "
    "reason that needs an operator (streams.consumption_pause).",
)
REDIS_WRITE_ERRORS = Counter(
    "jobmatch_redis_write_errors_total",
    "Failed Redis write round trips, by reason; the marks are kept and retried.",
    ["reason"],
)
REDIS_DATA_LOSSES = Counter(
    "jobmatch_redis_data_losses_total",
    "Times this worker found its marker key gone from Redis (flushed, restarted empty, evicted).",
)
REDIS_REBUILD_PENDING = Gauge(
    "jobmatch_redis_rebuild_pending",
    "Keys this worker still has to rewrite after Redis lost its data.",
)


def publish_list_stats(stats: ListStats, vetoes: Mapping[str, int]) -> None:
    """Set the list gauges from the live engine's statistics, count the filter vetoes."""
    ACTIVE_SEEKERS.clear()
    SEEKERS_WITH_LIST.clear()
    LIST_ITEMS.clear()
    for group, count in stats.active.items():
        ACTIVE_SEEKERS.labels(*group).set(count)
        SEEKERS_WITH_LIST.labels(*group).set(stats.with_list.get(group, 0))
        LIST_ITEMS.labels(*group).set(stats.items.get(group, 0))
    if stats.exposure_by_group is not None:
        EXPOSURE_BY_GROUP.clear()
        for group, share in stats.exposure_by_group.items():
            EXPOSURE_BY_GROUP.labels(*group).set(share)
    COVERAGE.set(stats.coverage)
    OPEN_POSTINGS.set(stats.open_postings)
    EXPOSED_POSTINGS.set(stats.exposed_postings)
    EXPOSURE.set(stats.exposure)
    SWEEP_PENDING.set(stats.pending_sweep)
    for reason, count in vetoes.items():
        FILTER_VETOES.labels(reason).inc(count)
