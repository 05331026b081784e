"""``jobmatch recs SEEKER_ID`` and ``jobmatch candidates POSTING_ID``: read live lists.

Both read Redis as the read-only portal user, through the same reader as the reference
portal (:mod:`portal.redis_reader`), so they show exactly what a frontend would.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

import orjson

from portal.listing import SORTS
from portal.redis_reader import PortalReader, RedisUnavailable
from settings import Settings

KST = dt.timezone(dt.timedelta(hours=9))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "recs",
        help="print a seeker's live list with display fields and reasons",
        description="Print a seeker's live recommendation list from Redis (read-only user).",
    )
    p.add_argument("seeker_id")
    p.add_argument("--sort", choices=SORTS, default="relevance", help="order (default relevance)")
    p.add_argument("--limit", type=int, default=20, help="rows to print (default 20; 0 = all)")
    p.add_argument("--json", action="store_true", help="print the list as one JSON object")
    p.set_defaults(func=run_recs)

    c = sub.add_parser(
        "candidates",
        help="print a posting's candidate seekers (the employer's view)",
        description="Print a posting's live candidate list from Redis (read-only user).",
    )
    c.add_argument("posting_id")
    c.add_argument("--limit", type=int, default=20, help="rows to print (default 20)")
    c.add_argument("--json", action="store_true", help="print as one JSON object")
    c.set_defaults(func=run_candidates)


def run_recs(args: argparse.Namespace) -> int:
    return asyncio.run(_recs(args))


def run_candidates(args: argparse.Namespace) -> int:
    return asyncio.run(_candidates(args))


async def _recs(args: argparse.Namespace) -> int:
    reader = PortalReader.connect(Settings.from_env())
    try:
        found = await reader.seeker_list(args.seeker_id)
    except RedisUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await reader.aclose()
    if args.json:
        sys.stdout.write(orjson.dumps(found.to_json(args.sort)).decode() + "\n")
        return 0 if found.items else 1
    if not found.items:
        print(f"no list for seeker {args.seeker_id} (unknown, inactive, or not ranked yet)")
        return 1
    updated = _time(found.updated_at)
    print(
        f"seeker {found.seeker_id}: {len(found.items)} postings, model v{found.model_version}, "
        f"refreshed {updated} ({found.reason})"
    )
    data = found.to_json(args.sort)["items"]
    rows = data if args.limit == 0 else data[: args.limit]
    for item in rows:
        posting = item["posting"]
        print(
            f"{item['rank']:>4}  {item['score']:.3f}  {item['posting_id']:<12} "
            f"{_describe(posting)}\n{'':>25}{' · '.join(item['reasons'])}"
        )
    return 0


async def _candidates(args: argparse.Namespace) -> int:
    reader = PortalReader.connect(Settings.from_env())
    try:
        found = await reader.posting_candidates(args.posting_id, limit=max(args.limit, 1))
    except RedisUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await reader.aclose()
    if args.json:
        sys.stdout.write(orjson.dumps(found.to_json()).decode() + "\n")
        return 0 if found.candidates else 1
    print(f"posting {args.posting_id}: {_describe(found.posting.to_json())}")
    if not found.candidates:
        print("no candidates (unknown or closed posting, or no seeker fits yet)")
        return 1
    for c in found.candidates:
        print(f"{c.rank:>4}  {c.score:.3f}  {c.seeker_id}")
    return 0


def _describe(posting: dict[str, object]) -> str:
    if not posting.get("found", True) or posting.get("title") is None:
        return "(no display fields)"
    wage = "협의"
    if posting.get("wage_min") is not None:
        wage = f"{posting.get('wage_type')} {int(posting['wage_min']):,}원"  # type: ignore[call-overload]
    deadline = posting.get("deadline") or "채용시까지"
    return (
        f"{posting.get('title')} | {posting.get('employer_name')} | "
        f"{posting.get('region_name') or '-'} | {wage} | ~{deadline}"
    )


def _time(ms: int | None) -> str:
    if ms is None:
        return "never"
    return dt.datetime.fromtimestamp(ms / 1000, KST).strftime("%Y-%m-%d %H:%M:%S KST")
