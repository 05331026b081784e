"""Fixtures of the portal tests: lists written as the worker writes them, and a live portal.

The display fields come from real 고용24 postings in ../shared/data (read there, never
copied), plus a few made-up ones for the cases the real file lacks: hourly and daily wages,
협의, 채용시까지 and a posting whose display hash is missing.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import redis

from portal.listing import monthly_wage
from portal.redis_reader import posting_candidates_key, posting_display_key, seeker_list_key
from portal.server import RunningPortal, start
from settings import Settings
from tests.shared_data import POSTINGS_DIR

REPO = Path(__file__).resolve().parents[2]
GANGNAM_POSTINGS = POSTINGS_DIR / "work24_gangnam_job_information.csv"
SCREENSHOTS = REPO / "test-output" / "portal"
KST = dt.timezone(dt.timedelta(hours=9))
_SALARY_RANGE = re.compile(r"연봉 ([\d,]+) 만원 ~ ([\d,]+) 만원")


def _epoch_ms(day: str, hour: int = 9) -> int:
    moment = dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=KST)
    return int(moment.timestamp() * 1000)


def real_postings(count: int) -> list[dict[str, str]]:
    """Display hashes of the first ``count`` real postings with a salary range."""
    out: list[dict[str, str]] = []
    with GANGNAM_POSTINGS.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            salary = _SALARY_RANGE.fullmatch(row["annual_salary"])
            if not salary:
                continue
            low, high = (int(x.replace(",", "")) * 10_000 for x in salary.groups())
            out.append(
                {
                    "title": row["position_title"],
                    "employer_name": row["company_name"],
                    "region_name": row["location"],
                    "wage_type": "annual",
                    "wage_min": str(low),
                    "wage_max": str(high),
                    "deadline": row["deadline_date"],
                    "posted_at": str(_epoch_ms(row["registration_date"], hour=len(out) % 12)),
                    "employment_types": '["regular"]',
                }
            )
            if len(out) == count:
                return out
    raise AssertionError(f"{GANGNAM_POSTINGS} has fewer than {count} postings with a salary range")


def made_up_postings() -> dict[str, dict[str, str]]:
    """The cases the real file lacks; the missing-hash posting is simply not here."""
    return {
        "PH1": {
            "title": "편의점 야간 스태프",
            "employer_name": "(주)한밤상회",
            "region_name": "서울 강남구",
            "wage_type": "hourly",
            "wage_min": "12000",
            "deadline": "2026-08-20",
            "posted_at": str(_epoch_ms("2026-08-06")),
            "employment_types": '["part_time"]',
        },
        "PD1": {
            "title": "물류센터 상하차 일용직",
            "employer_name": "한빛물류",
            "region_name": "경기 화성시",
            "wage_type": "daily",
            "wage_min": "150000",
            "wage_max": "150000",
            "deadline": "",  # 채용시까지
            "posted_at": str(_epoch_ms("2026-08-05")),
            "employment_types": '["daily"]',
        },
        "PN1": {
            "title": "사무 보조 (임금 협의)",
            "employer_name": "강남세무회계",
            "region_name": "서울 강남구",
            "deadline": "2026-08-15",
            "posted_at": str(_epoch_ms("2026-08-07", hour=18)),
            "occupation_code": "023",
        },
    }


MISSING = "PX404"  # in the list, but its display hash was never written


@dataclass(frozen=True)
class Seeded:
    """What the fixture wrote: ids in relevance order and every display hash."""

    settings: Settings
    ranked: list[str]  # seeker S1's list; S2 and S3 hold ranked[0] only
    displays: dict[str, dict[str, str]]
    reasons: dict[str, list[str]]


def expected_wage_order(seeded: Seeded) -> list[str]:
    """Highest monthly-equivalent wage first, 협의 and missing hashes last, ties by relevance."""

    def monthly(posting_id: str) -> float | None:
        fields = seeded.displays.get(posting_id, {})
        amount = fields.get("wage_min") or fields.get("wage_max")
        return monthly_wage(fields.get("wage_type"), float(amount)) if amount else None

    with_wage = [pid for pid in seeded.ranked if monthly(pid) is not None]
    without = [pid for pid in seeded.ranked if monthly(pid) is None]
    return sorted(with_wage, key=lambda pid: -(monthly(pid) or 0.0)) + without


def write_posting(
    client: redis.Redis, prefix: str, posting_id: str, fields: dict[str, str]
) -> None:
    client.hset(posting_display_key(prefix, posting_id), mapping=fields)


def stored(scores: dict[str, float]) -> dict[str, int]:
    """Relevances as the worker stores them: integers in billionths (docs/portal.md)."""
    return {member: round(score * 1_000_000_000) for member, score in scores.items()}


def write_seeker_list(
    client: redis.Redis,
    prefix: str,
    seeker_id: str,
    scores: dict[str, float],
    reasons: dict[str, list[str]],
    *,
    updated_at: int,
    model_version: str = "1",
    reason: str = "profile",
) -> None:
    """Replace a seeker's list, :why and :meta in one transaction, as the worker does."""
    key = seeker_list_key(prefix, seeker_id)
    pipe = client.pipeline(transaction=True)
    pipe.delete(key, f"{key}:why")
    if scores:
        pipe.zadd(key, stored(scores))
    why = {pid: orjson.dumps(r).decode() for pid, r in reasons.items() if pid in scores}
    if why:
        pipe.hset(f"{key}:why", mapping=why)
    meta = {"updated_at": updated_at, "model_version": model_version, "reason": reason}
    pipe.hset(f"{key}:meta", mapping=meta)
    pipe.execute()


@pytest.fixture
def seeded(redis_worker: redis.Redis, test_settings: Settings) -> Seeded:
    """Seeker S1's list of 9 postings (real and made up, one without display fields)."""
    prefix = test_settings.key_prefix
    real = {f"W{i:03d}": fields for i, fields in enumerate(real_postings(5))}
    displays = {**real, **made_up_postings()}
    real_ids = list(real)
    ranked = [real_ids[0], "PH1", real_ids[1], "PN1", real_ids[2], "PD1", real_ids[3], MISSING]
    ranked.append(real_ids[4])
    for posting_id, fields in displays.items():
        write_posting(redis_worker, prefix, posting_id, fields)
    scores = {pid: round(0.95 - 0.07 * i, 3) for i, pid in enumerate(ranked)}
    reasons = {
        pid: ["희망 직종 일치", "거주지 인근"] if i % 2 == 0 else ["희망 임금 충족"]
        for i, pid in enumerate(ranked)
    }
    write_seeker_list(
        redis_worker,
        prefix,
        "S1",
        scores,
        reasons,
        updated_at=_epoch_ms("2026-08-07", 10),
        model_version="7",
    )
    for other in ("S2", "S3"):
        write_seeker_list(
            redis_worker, prefix, other, {ranked[0]: 0.5}, {}, updated_at=_epoch_ms("2026-08-07")
        )
    candidates = {"S1": 0.91, "S2": 0.74, "S3": 0.52}
    redis_worker.zadd(posting_candidates_key(prefix, ranked[0]), stored(candidates))
    return Seeded(test_settings, ranked, displays, reasons)


@pytest.fixture
async def portal(seeded: Seeded) -> AsyncIterator[RunningPortal]:
    """The portal server on a free port, reading the test's key prefix."""
    running = await start(seeded.settings, host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        await running.stop()


def closed_port() -> int:
    """A local port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_down_settings(test_settings: Settings) -> Settings:
    """Settings that point at a port where no Redis listens."""
    return dataclasses.replace(test_settings, redis_url=f"redis://127.0.0.1:{closed_port()}/0")


@pytest.fixture
def screenshots() -> Iterator[Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield SCREENSHOTS
