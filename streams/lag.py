"""Consumer lag per topic family, for the ``jobmatch_consumer_lag_messages`` gauge."""

from __future__ import annotations

from collections import defaultdict

import faust

from streams import metrics


async def update_consumer_lag(app: faust.App, families: dict[str, str]) -> None:
    """Set the lag gauge from the high-water marks and positions of assigned partitions.

    ``families`` maps a topic name to its family label ("postings", ...).
    """
    consumer = app.consumer
    lag: dict[str, int] = defaultdict(int)
    for tp in consumer.assignment():
        family = families.get(tp.topic)
        if family is None:
            continue
        highwater = consumer.highwater(tp)
        position = await consumer.position(tp)
        if highwater is None or position is None:
            continue
        lag[family] += max(highwater - position, 0)
    for family in families.values():
        metrics.CONSUMER_LAG.labels(family).set(lag.get(family, 0))
