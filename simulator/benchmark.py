"""Throughput of the simulator: ``python -m simulator.benchmark [--live]``.

Offline: events per second of the pure generation (one core), then with the event log
written (encoding included). Live (``--live``, needs Kafka and Redis): the rate the live
runner sustains at a target rate and flat out, sending to throwaway topics under a
``bench-<id>`` prefix that are deleted afterwards. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
import uuid
from pathlib import Path

from settings import Settings
from simulator import Market, MarketConfig
from simulator.runner import RedisListSource, run_live, run_offline


def offline(seekers: int, postings: int, days: float) -> None:
    config = MarketConfig(seekers=seekers, postings=postings)
    started = time.perf_counter()
    market = Market.generate(config, 1)
    generated = time.perf_counter() - started
    print(f"generate {seekers} seekers + {postings} postings: {generated:.2f} s")

    started = time.perf_counter()
    n = sum(1 for _ in market.events(days=days))
    elapsed = time.perf_counter() - started
    print(f"offline events, {days:g} days: {n} in {elapsed:.2f} s = {n / elapsed:,.0f} events/s")

    with tempfile.TemporaryDirectory() as tmp:
        summary = run_offline(Market.generate(config, 1), days=days, log_path=Path(tmp) / "l")
        print(
            f"offline with --log: {summary.total} in {summary.elapsed_s:.2f} s "
            f"= {summary.rate:,.0f} events/s"
        )

    started = time.perf_counter()
    truth = list(market.truth())
    elapsed = time.perf_counter() - started
    print(
        f"ground truth: {len(truth)} seekers x {len(market.postings)} postings in {elapsed:.2f} s"
    )


def live(rates: list[float], seconds: float, with_reco: bool) -> None:
    from client.producer import EventProducer
    from streams.kafka_admin import connect_admin, ensure_topics

    tag = uuid.uuid4().hex[:8]
    settings = dataclasses.replace(
        Settings.from_env(), topic_prefix=f"bench-{tag}", key_prefix=f"jobmatch:bench-{tag}"
    )
    ensure_topics(settings)
    try:
        for rate in rates:
            market = Market.generate(MarketConfig(start_ms=time.time_ns() // 1_000_000), 1)
            source = RedisListSource(settings) if with_reco else None
            with EventProducer(settings) as producer:
                summary = run_live(
                    market,
                    producer,
                    rate=rate,
                    duration_s=seconds,
                    list_source=source,
                    event_id_prefix=f"bench-{tag}",
                )
            if source is not None:
                source.close()
            print(
                f"live, target {rate:,.0f}/s for {seconds:g} s: sent {summary.total} "
                f"= {summary.rate:,.0f} events/s (flush included)"
            )
    finally:
        admin = connect_admin(settings)
        try:
            admin.delete_topics([t for t in admin.list_topics() if t.startswith(f"bench-{tag}.")])
        finally:
            admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", action="store_true", help="also measure the live runner")
    parser.add_argument("--seconds", type=float, default=15.0, help="live: seconds per rate")
    parser.add_argument("--no-reco", action="store_true", help="live: do not read Redis")
    args = parser.parse_args()
    offline(5000, 2000, 3.0)
    if args.live:
        live([2000.0, 1e9], args.seconds, not args.no_reco)


if __name__ == "__main__":
    main()
