"""The offline runner and the CLI: event log, ground truth, pacing, determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from cli import main
from schemas import encode, parse_event
from simulator import Market, MarketConfig
from simulator.runner import TokenBucket, run_live, run_offline, write_truth

SMALL = ["--seekers", "300", "--postings", "150", "--days", "1"]
RUN_CLI = "import sys; from cli import main; sys.exit(main(sys.argv[1:]))"


def _jobmatch(*args: str, hash_seed: str) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter per run, each with its own str-hash seed: nothing may depend
    # on set or dict iteration order of strings.
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, "simulate", *args],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_cli_offline_twice_with_one_seed_writes_identical_logs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    _jobmatch("--no-kafka", "--seed", "1", *SMALL, "--log", str(a), hash_seed="1")
    _jobmatch("--no-kafka", "--seed", "1", *SMALL, "--log", str(b), hash_seed="2")
    _jobmatch("--no-kafka", "--seed", "2", *SMALL, "--log", str(c), hash_seed="1")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert a.stat().st_size > 100_000


@pytest.mark.slow
def test_cli_default_market_is_deterministic(tmp_path: Path) -> None:
    # The demo sizes (5,000 seekers, 2,000 postings, 3 days) exactly as the issue states.
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _jobmatch("--seed", "1", "--no-kafka", "--log", str(a), hash_seed="3")
    _jobmatch("--seed", "1", "--no-kafka", "--log", str(b), hash_seed="4")
    assert a.read_bytes() == b.read_bytes()


def test_log_lines_hold_each_event_exactly_as_encoded(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    market = Market.generate(MarketConfig(seekers=200, postings=100), seed=3)
    summary = run_offline(market, days=0.5, log_path=log)
    again = Market.generate(MarketConfig(seekers=200, postings=100), seed=3)
    expected = list(again.events(days=0.5))
    lines = log.read_bytes().splitlines()
    assert len(lines) == len(expected) == summary.total
    for line, (family, event) in zip(lines, expected, strict=True):
        record = orjson.loads(line)
        assert set(record) == {"topic", "event"} and record["topic"] == family
        # The "event" value is the encoded bytes verbatim.
        assert line == b'{"topic":"' + family.encode() + b'","event":' + encode(event) + b"}"  # type: ignore[arg-type]
        assert parse_event(family, orjson.dumps(record["event"])) == event
    assert summary.events["postings"] >= 100 and summary.events["profiles"] >= 200
    assert summary.posting_ids[0] == "P000001" and len(summary.posting_ids) == len(market.postings)


def test_max_events_stops_the_run(tmp_path: Path) -> None:
    market = Market.generate(MarketConfig(seekers=50, postings=30), seed=3)
    summary = run_offline(market, days=5, max_events=100, log_path=tmp_path / "x.jsonl")
    assert summary.total == 100
    assert len((tmp_path / "x.jsonl").read_bytes().splitlines()) == 100


def test_truth_file_has_one_line_per_seeker_with_would_apply_utilities(tmp_path: Path) -> None:
    market = Market.generate(MarketConfig(seekers=120, postings=200), seed=8)
    summary = run_offline(market, days=0.5)
    path = tmp_path / "truth.jsonl"
    truth = write_truth(market, path, summary.posting_ids)
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [r["seeker_id"] for r in rows] == [s.seeker_id for s in market.seekers]
    assert truth.seekers == len(rows) and truth.postings == len(summary.posting_ids)
    total = 0
    for row in rows[:40]:
        sid = row["seeker_id"]
        expected = {p for p in summary.posting_ids if market.would_apply(sid, p)}
        assert set(row["would_apply"]) == expected
        total += len(expected)
    assert total > 0
    assert truth.mean_would_apply == pytest.approx(
        sum(len(r["would_apply"]) for r in rows) / len(rows)
    )


def test_cli_prints_the_summary_and_the_truth_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = tmp_path / "t.jsonl"
    code = main(["simulate", "--no-kafka", *SMALL, "--truth", str(truth)])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("done: ") and "impression" in out
    assert "truth: " in err and "mean would-apply count" in err
    assert len(truth.read_bytes().splitlines()) >= 300


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--seekers", "0"])
    assert "positive integer" in capsys.readouterr().err
    assert main(["simulate", "--no-kafka", "--reco-share", "2"]) == 2


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_token_bucket_paces_at_the_rate_with_few_sleeps() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2000, clock=clock.time, sleep=clock.sleep)
    for _ in range(10_000):
        bucket.take()
    # 10,000 events at 2,000/s take 5 s of (fake) time ...
    assert clock.now == pytest.approx(5.0, rel=0.01)
    # ... slept in batches of about 20 events (10 ms), not once per event.
    assert 400 <= len(clock.sleeps) <= 600


def test_token_bucket_allows_a_short_burst_after_idling() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100, burst=10, clock=clock.time, sleep=clock.sleep)
    clock.now = 60.0  # idle for a minute: at most ``burst`` tokens saved up
    for _ in range(10):
        bucket.take()
    assert clock.sleeps == []
    bucket.take()
    assert len(clock.sleeps) == 1


class InterruptingProducer:
    """Records what it is given; the n-th send raises KeyboardInterrupt, as Ctrl-C would."""

    def __init__(self, interrupt_at: int) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.flushed = False
        self._interrupt_at = interrupt_at

    def send_raw(self, family: str, raw: bytes) -> None:
        if len(self.sent) == self._interrupt_at:
            raise KeyboardInterrupt
        self.sent.append((family, raw))

    def flush(self) -> None:
        self.flushed = True


def test_ctrl_c_in_a_live_run_flushes_and_returns_the_summary(tmp_path: Path) -> None:
    # Only the control flow; the real broker path is in test_live.py.
    market = Market.generate(
        MarketConfig(seekers=30, postings=20, start_ms=1_795_000_000_000), seed=1
    )
    producer = InterruptingProducer(interrupt_at=120)
    clock = iter(range(1_800_000_000_000, 1_900_000_000_000, 7))
    summary = run_live(
        market,
        producer,
        rate=1e6,
        log_path=tmp_path / "log.jsonl",
        clock_ms=lambda: next(clock),
    )
    assert summary.interrupted and producer.flushed
    assert summary.total == len(producer.sent) == 120
    logged = (tmp_path / "log.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["event"] for line in logged] == [
        orjson.loads(r) for _, r in producer.sent
    ]
    stamps = [orjson.loads(r)["ts"] for _, r in producer.sent]
    # Each event is stamped when sent, in send order.
    assert stamps == sorted(stamps) and stamps[0] >= 1_800_000_000_000
