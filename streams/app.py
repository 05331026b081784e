"""Build the Faust application. Only the app: topics, tables, agents and timers are
registered by their own modules (see :mod:`streams.worker`)."""

from __future__ import annotations

import faust

from settings import Settings
from streams.kafka_security import faust_credentials


def create_app(settings: Settings) -> faust.App:
    """A Faust app for ``settings``: one consumer group, in-memory tables with changelogs."""
    return faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap.replace(',', ';kafka://')}",
        # PLAINTEXT: None, Faust's default; SSL / SASL_SSL: TLS (and the SASL login) for
        # every consumer and producer the app makes.
        broker_credentials=faust_credentials(settings),
        # Tables live in memory and are rebuilt from their changelog topics on start-up.
        store="memory://",
        datadir=str(settings.data_dir),
        web_enabled=True,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        topic_replication_factor=1,
        # Table changelogs are co-partitioned with profiles and interactions.
        topic_partitions=settings.seeker_partitions,
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        producer_max_request_size=1024 * 1024,
        stream_buffer_maxsize=4096,
        # A worker that dies without saying goodbye (kill -9, lost machine) holds its
        # partitions until its session times out; Faust's 60 s default stalls everyone.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
    )
