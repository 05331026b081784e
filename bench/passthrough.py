"""A pass-through Faust agent: how fast a Faust worker with the worker's own settings
consumes a topic when the agent does nothing (optionally: forwards every message).

``python -m bench.passthrough --family interactions --expect N --out result.json
[--forward]``, run with the ``JOBMATCH_*`` environment of a bench worker (its own
``JOBMATCH_APP_ID``). Writes ``{"count": n, "seconds": s}`` (first to last message) once
``N`` messages were seen, then keeps running until it is stopped.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import faust
import orjson

from settings import Settings
from streams.app import create_app


def build(settings: Settings, family: str, expect: int, out: Path, forward: bool) -> faust.App:
    app = create_app(settings)  # the worker's Faust configuration, unchanged
    raw = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    source = app.topic(settings.topic(family), **raw)  # type: ignore[arg-type]
    sink = app.topic(f"{settings.app_id}-sink", partitions=1, **raw)  # type: ignore[arg-type]
    seen = {"count": 0, "first": 0.0}

    @app.agent(source, concurrency=1, name="passthrough")
    async def passthrough(stream):  # type: ignore[no-untyped-def]
        async for event in stream.events():
            if forward:
                await sink.send(key=event.key, value=event.value)
            seen["count"] += 1
            if seen["count"] == 1:
                seen["first"] = time.perf_counter()
            if seen["count"] == expect:
                elapsed = time.perf_counter() - seen["first"]
                out.write_bytes(orjson.dumps({"count": expect, "seconds": elapsed}))

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", required=True)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--web-port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--forward", action="store_true", help="send each message on")
    args = parser.parse_args()
    settings = dataclasses.replace(
        Settings.from_env(), web_port=args.web_port, data_dir=args.data_dir
    )
    app = build(settings, args.family, args.expect, args.out, args.forward)
    faust.Worker(app, loglevel="warn").execute_from_commandline()


if __name__ == "__main__":
    main()
