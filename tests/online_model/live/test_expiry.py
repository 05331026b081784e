"""Deadline expiry: the expiry timer closes what ``expired_postings`` names, and checks each
posting again just before closing it (a midnight burst yields between closes, and an
upsert with a later deadline may land meanwhile)."""

from __future__ import annotations

from online_model.live.engine import LiveEngine
from online_model.normalize import deadline_ms
from schemas.postings import Posting


def _posting(posting_id: str, deadline: str | None) -> Posting:
    return Posting(posting_id, "E1", "x", "지게차 운전", 0, deadline=deadline)


def test_only_open_postings_whose_deadline_day_ended_are_expired() -> None:
    engine = LiveEngine()
    for posting in (
        _posting("P1", "2026-12-01"),
        _posting("P2", "2026-12-31"),
        _posting("P3", None),
    ):
        engine.posting_upserted(posting, live=False)
    now_ms = int(deadline_ms("2026-12-01")) + 1
    assert engine.expired_postings(now_ms) == ["P1"]
    # Given a later deadline before the timer reached it: no longer expired.
    engine.posting_upserted(_posting("P1", "2026-12-31"), live=False)
    assert engine.expired_postings_among(["P1"], now_ms) == []
    engine.posting_closed("P2", live=False)
    assert engine.expired_postings_among(["P2"], int(deadline_ms("2026-12-31")) + 1) == []
