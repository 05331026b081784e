"""The live runner against the real broker and Redis: the closed loop, end to end."""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
import redis

from client.producer import EventProducer
from settings import Settings
from simulator import Market, MarketConfig
from simulator.runner import RedisListSource, RedisUnavailable, run_live
from tests.cli.topic_records import read_all

FAMILIES = ("postings", "profiles", "interactions")


def _consume_all(settings: Settings) -> dict[str, list[tuple[bytes, bytes]]]:
    """Every (key, value) of the three topics: all they hold, read to their end offsets.

    Call it once the producer has flushed (``run_live`` flushes before it returns). Not
    "until some count": a count met early would hide records still unread, or extra ones.
    """
    return {f: [(r.key, r.value) for r in read_all(settings, f)] for f in FAMILIES}


@pytest.mark.integration
def test_redis_list_source_reads_live_lists_as_the_portal_user(
    redis_worker: redis.Redis, test_settings: Settings
) -> None:
    # The worker writes S000001's list; the key's braces are literal (a hash tag).
    key = f"{test_settings.key_prefix}:reco:seeker:{{S000001}}"
    redis_worker.zadd(key, {"P000003": 0.2, "P000001": 0.9, "P000002": 0.5, "P000004": 0.1})
    source = RedisListSource(test_settings, size=3)
    try:
        source.check()
        assert source.key("S42") == f"{test_settings.key_prefix}:reco:seeker:{{S42}}"
        lists = source.get_lists(["S000001", "S000002"])
        # Highest score first, cut at ``size``; a missing list is simply absent.
        assert lists == {"S000001": ["P000001", "P000002", "P000003"]}
        # It really is the read-only portal user.
        with pytest.raises(redis.exceptions.NoPermissionError):
            source._client.zadd(key, {"P9": 1.0})
    finally:
        source.close()


def test_redis_list_source_says_what_to_do_when_redis_is_down() -> None:
    settings = dataclasses.replace(Settings(), redis_url="redis://127.0.0.1:1/0")
    source = RedisListSource(settings)
    with pytest.raises(RedisUnavailable, match=r"not reachable at 127\.0\.0\.1:1.*make up"):
        source.check()
    # Mid-run a failed read falls back to search instead of stopping the market.
    assert source.get_lists(["S000001"]) == {} and source.errors == 1


@pytest.mark.integration
def test_live_run_reaches_the_broker_and_reads_lists_from_redis(
    kafka_topics: Settings, redis_worker: redis.Redis, tmp_path: Path
) -> None:
    settings = kafka_topics
    market = Market.generate(MarketConfig(seekers=200, postings=100), seed=4)
    # Lists for half of the seekers, as a worker would write them.
    for seeker in market.seekers[:100]:
        key = f"{settings.key_prefix}:reco:seeker:{{{seeker.seeker_id}}}"
        redis_worker.zadd(key, {f"P{i:06d}": 100 - i for i in range(1, 41)})
    source = RedisListSource(settings)
    log = tmp_path / "live.jsonl"
    started_ms = time.time_ns() // 1_000_000
    with EventProducer(settings) as producer:
        summary = run_live(
            market,
            producer,
            rate=5000,
            max_events=2500,
            list_source=source,
            log_path=log,
            event_id_prefix="live-test",
        )
    source.close()
    finished_ms = time.time_ns() // 1_000_000

    assert summary.total == 2500 and not summary.interrupted
    assert summary.reco_found > 0 and summary.reco_requests >= summary.reco_found
    got = _consume_all(settings)
    # The broker holds exactly what the summary counted, and what the log says was sent.
    assert {f: len(got[f]) for f in FAMILIES} == {f: summary.events.get(f, 0) for f in FAMILIES}
    logged: dict[str, list[bytes]] = {f: [] for f in FAMILIES}
    for line in log.read_bytes().splitlines():
        record = orjson.loads(line)
        logged[record["topic"]].append(orjson.dumps(record["event"]))
    for family in FAMILIES:
        assert sorted(v for _, v in got[family]) == sorted(logged[family])

    interactions = [orjson.loads(v) | {"key": k} for k, v in got["interactions"]]
    # Keyed by seeker, stamped with the wall clock at send.
    assert all(i["key"] == i["seeker_id"].encode() for i in interactions)
    assert all(started_ms <= i["ts"] <= finished_ms for i in interactions)
    reco = [i for i in interactions if i["source"] == "reco"]
    assert reco and all(i["position"] is not None for i in reco if i["action"] != "hire")
    listed = {f"P{i:06d}" for i in range(1, 41)}
    assert {i["posting_id"] for i in reco} <= listed
    assert Counter(i["source"] for i in interactions)["search"] > 0


@pytest.mark.integration
def test_cli_live_run_sends_and_logs(
    kafka_topics: Settings,
    redis_worker: redis.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cli import main

    monkeypatch.setenv("JOBMATCH_TOPIC_PREFIX", kafka_topics.topic_prefix)
    monkeypatch.setenv("JOBMATCH_KEY_PREFIX", kafka_topics.key_prefix)
    log, truth = tmp_path / "log.jsonl", tmp_path / "truth.jsonl"
    args = ["simulate", "--seekers", "60", "--postings", "40", "--events", "400"]
    code = main([*args, "--rate", "4000", "--log", str(log), "--truth", str(truth)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("done: 400 events") and ", live)" in out
    assert re.search(r"truth: \d+ seekers x \d+ postings, mean would-apply count", err)
    assert len(log.read_bytes().splitlines()) == 400
    got = _consume_all(kafka_topics)
    assert sum(len(v) for v in got.values()) == 400
    # The run's event ids carry a run tag, so a second run is not a duplicate of the first.
    first = orjson.loads(log.read_bytes().splitlines()[0])["event"]["event_id"]
    assert first.startswith("sim1-") and first.count("-") == 2


def test_cli_live_says_what_to_do_when_kafka_is_down(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import cli.simulate as simulate
    from cli import main
    from streams.kafka_admin import KafkaUnreachable, unreachable_message

    def down(settings: Settings) -> None:
        raise KafkaUnreachable(unreachable_message(settings.kafka_bootstrap))

    # The real unreachable broker takes the admin client's 10 s timeout to show (tested
    # with the platform); here only what the command does with the error.
    monkeypatch.setattr(simulate, "ensure_topics", down)
    assert main(["simulate", "--events", "10"]) == 1
    assert "run `make up` first" in capsys.readouterr().err
