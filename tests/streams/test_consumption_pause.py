"""When consumption pauses and resumes as Redis refuses and takes writes (pure logic: a
stand-in consumer records the calls; tests/faults/test_redis_faults.py runs it for real)."""

from __future__ import annotations

from dataclasses import dataclass, field

from faust.types import TP

from streams import metrics
from streams.consumption_pause import PAUSE_AFTER_S, ConsumptionPause
from streams.lag import commit_blocked
from streams.redis_health import WriteFault

EVENTS = TP("jm.interactions", 0)
OTHER = TP("jm.interactions-changelog", 0)


@dataclass
class Consumer:
    active: set[TP] = field(default_factory=lambda: {EVENTS, OTHER})

    def assignment(self) -> set[TP]:
        return {EVENTS, OTHER}

    def on_buffer_full(self, tp: TP) -> None:
        self.active.discard(tp)

    def on_buffer_drop(self, tp: TP) -> None:
        self.active.add(tp)


@dataclass
class App:
    consumer: Consumer = field(default_factory=Consumer)
    rebalancing: bool = False


def paused_gauge() -> float:
    return metrics.CONSUMPTION_PAUSED._value.get()  # type: ignore[attr-defined]


def test_a_lasting_refusal_pauses_the_event_partitions_and_a_success_resumes_them() -> None:
    now = [1000.0]
    app = App()
    pause = ConsumptionPause(app, {"jm.interactions"}, clock=lambda: now[0])  # type: ignore[arg-type]
    oom = WriteFault("out_of_memory", "SET k: OOM", since=now[0])

    pause.check(oom)
    assert not pause.paused and app.consumer.active == {EVENTS, OTHER}  # too young

    now[0] += PAUSE_AFTER_S
    pause.check(oom)
    assert pause.reason == "out_of_memory" and paused_gauge() == 1
    assert app.consumer.active == {OTHER}  # only the event topics pause

    app.consumer.on_buffer_drop(EVENTS)  # a rebalance's recovery resumed everything
    pause.check(oom)
    assert app.consumer.active == {OTHER}

    app.rebalancing = True
    pause.check(None)
    assert pause.paused, "resuming waits for the rebalance to end"
    app.rebalancing = False
    pause.check(None)
    assert not pause.paused and paused_gauge() == 0
    assert app.consumer.active == {EVENTS, OTHER}


def test_an_unreachable_redis_never_pauses() -> None:
    app = App()
    pause = ConsumptionPause(app, {"jm.interactions"}, clock=lambda: 10_000.0)  # type: ignore[arg-type]
    pause.check(WriteFault("unreachable", "ConnectionError", since=0.0))
    assert not pause.paused and app.consumer.active == {EVENTS, OTHER}


@dataclass
class Message:
    tp: TP
    offset: int


@dataclass
class CommitBookkeeping:
    """The private fields of a Faust consumer that ``commit_blocked`` reads."""

    _acked: dict[TP, list[int]]
    _committed_offset: dict[TP, int]
    _unacked_messages: list[Message] = field(default_factory=list)
    _read_offset: dict[TP, int] = field(default_factory=dict)
    _commit_fut: object = None


def test_commit_blocked_names_a_partition_whose_missing_offsets_nobody_handles() -> None:
    stalled = CommitBookkeeping({EVENTS: [50]}, {EVENTS: 36}, _read_offset={EVENTS: 50})
    assert list(commit_blocked(stalled)) == ["jm.interactions[0]"]

    next_in_line = CommitBookkeeping({EVENTS: [37, 38]}, {EVENTS: 36})
    assert commit_blocked(next_in_line) == {}  # one missing offset: Faust commits past it
    handling = CommitBookkeeping({EVENTS: [50]}, {EVENTS: 36}, [Message(EVENTS, 36)])
    assert commit_blocked(handling) == {}
    committing = CommitBookkeeping({EVENTS: [50]}, {EVENTS: 36}, _commit_fut=object())
    assert commit_blocked(committing) == {}
