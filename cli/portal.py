"""``jobmatch portal``: serve the reference portal page over the live lists in Redis."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "portal",
        help="serve the reference portal page (reads Redis as jobmatch-portal)",
        description=(
            "Serve a small web page that shows seekers' live recommendation lists and "
            "postings' candidates, read from Redis as the read-only user jobmatch-portal "
            "(password from JOBMATCH_REDIS_PORTAL_PASSWORD, keys under JOBMATCH_KEY_PREFIX). "
            "Its JSON API is described in docs/portal.md."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that other commands do not pay for aiohttp.
    from portal.server import serve

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    try:
        asyncio.run(serve(settings, host=args.host, port=args.port))
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
