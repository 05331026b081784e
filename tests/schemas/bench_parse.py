"""Benchmark: parse and encode time per event (not a test; prints figures).

.venv/bin/python -m tests.schemas.bench_parse
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any

import orjson

from schemas import encode, parse_event
from tests.schemas.schema_corpus import BASES


def _per_call_us(fn: Callable[[Any], object], arg: object, n: int) -> float:
    """Best of five runs of ``n`` calls: the least disturbed by other load on the machine."""
    return min(timeit.repeat(lambda: fn(arg), number=n, repeat=5)) / n * 1e6


def main(n: int = 20_000) -> None:
    for family, obj in BASES.items():
        raw = orjson.dumps(obj)
        event = parse_event(family, raw)
        parse = _per_call_us(lambda r, f=family: parse_event(f, r), raw, n)
        decode = _per_call_us(orjson.loads, raw, n)
        write = _per_call_us(encode, event, n)
        print(
            f"{family:<13} {len(raw):4d} bytes  parse_event {parse:5.1f} us"
            f"  (orjson.loads alone {decode:4.1f} us)  encode {write:4.1f} us"
        )


if __name__ == "__main__":
    main()
