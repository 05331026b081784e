"""Stop consuming while Redis refuses this worker's writes for a reason that needs an operator.

A dropped connection heals by itself within seconds, and the writer's retries bridge it.
Redis out of memory, a missing ACL permission or a read-only replica last until someone
acts; consuming on meanwhile would pile up lists that cannot be written, and a worker
stopped during the fault would hand its successor a large re-rank. So after a refusal
has lasted :data:`PAUSE_AFTER_S`, the worker pauses fetching from its event partitions
(the events stay in Kafka, uncommitted work is not lost) and resumes by itself once a
write succeeds again. The catalog and model feeds keep reading: they write nothing.

``/health`` reports the pause with its reason (``consumption``), and so does the gauge
``jobmatch_consumption_paused``; the cause's own alert (``JobmatchRedisWritesRefused``)
says what to do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection

import faust

from streams import metrics
from streams.redis_health import TRANSIENT, WriteFault

log = logging.getLogger(__name__)

# How long a refusal lasts before consumption pauses: long enough not to pause for a
# single refused command, short enough that little work piles up.
PAUSE_AFTER_S = 5.0


class ConsumptionPause:
    """Pauses and resumes the event partitions of one worker; :meth:`check` once a second."""

    def __init__(
        self, app: faust.App, topics: Collection[str], *, clock: Callable[[], float] = time.time
    ) -> None:
        self._app = app
        self._topics = frozenset(topics)
        self._clock = clock
        self.reason: str | None = None  # set while paused
        metrics.CONSUMPTION_PAUSED.set(0)

    @property
    def paused(self) -> bool:
        return self.reason is not None

    def check(self, fault: WriteFault | None) -> None:
        """Pause for a lasting refusal, resume once writes succeed again.

        A partition is paused the way Faust pauses one whose agent's buffer is full: no
        more fetching, while the records already fetched are still handed to the agent.
        (``Consumer.pause_partitions`` would make the fetcher skip the rest of a batch
        being handed over, and those events would never be handled nor committed.)
        Pausing is repeated at every check while the fault lasts: a rebalance's recovery,
        or a drained agent buffer, resumes the partition. Resuming waits for a rebalance
        to finish, so that it never opens partitions whose tables are still recovering."""
        consumer = self._app.consumer
        if needs_pause(fault, self._clock()):
            assert fault is not None
            for tp in self._assigned():
                consumer.on_buffer_full(tp)
            if self.reason is None:
                log.error(
                    "consumption paused: Redis refuses writes (%s); %s",
                    fault.reason,
                    fault.advice,
                )
                metrics.CONSUMPTION_PAUSED.set(1)
            self.reason = fault.reason
        elif self.reason is not None and fault is None and not self._app.rebalancing:
            for tp in self._assigned():
                consumer.on_buffer_drop(tp)
            log.warning("consumption resumed: Redis takes writes again (was %s)", self.reason)
            metrics.CONSUMPTION_PAUSED.set(0)
            self.reason = None

    def _assigned(self) -> set[faust.types.TP]:
        return {tp for tp in self._app.consumer.assignment() if tp.topic in self._topics}

    def to_obj(self) -> dict[str, object]:
        return {"paused": self.paused, "reason": self.reason}


def needs_pause(fault: WriteFault | None, now: float) -> bool:
    """A refusal that does not heal by itself, lasting :data:`PAUSE_AFTER_S` or more.

    >>> from streams.redis_health import WriteFault
    >>> needs_pause(WriteFault("out_of_memory", "SET k: OOM", since=100.0), now=106.0)
    True
    >>> needs_pause(WriteFault("out_of_memory", "SET k: OOM", since=100.0), now=101.0)
    False
    >>> needs_pause(WriteFault("unreachable", "ConnectionError", since=0.0), now=600.0)
    False
    >>> needs_pause(None, now=0.0)
    False
    """
    if fault is None or fault.reason in TRANSIENT:
        return False
    return now - fault.since >= PAUSE_AFTER_S
