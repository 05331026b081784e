"""Seeker history: pure updates, idempotence, bounds, JSON round trip."""

from __future__ import annotations

import orjson
import pytest

from online_model.history import MAX_COUNTS, MAX_ENGAGEMENTS, MAX_POSTINGS, SeekerHistory
from tests.online_model.factories import make_interaction, make_posting


def test_updates_are_pure_and_idempotent() -> None:
    empty = SeekerHistory()
    posting = make_posting("P1", employer_id="E1", occupation_code="07C")
    apply = make_interaction("S1", "P1", "apply", 1)
    once = empty.with_interaction(apply, posting)
    assert empty == SeekerHistory() and once.has_applied("P1")
    assert once.with_interaction(apply, posting) is once
    # A hire after the apply is a new engagement, but the posting is not counted again.
    hired = once.with_interaction(make_interaction("S1", "P1", "hire", 2), posting)
    assert hired.occupation_count("07C") == 1 and hired.employer_count("E1") == 1
    assert hired.engagements == (("P1", "apply", 1), ("P1", "hire", 2))
    assert once.with_interaction(make_interaction("S1", "P1", "impression", 3), posting) is once
    dismissed = once.with_interaction(make_interaction("S1", "P2", "dismiss", 4), None)
    assert dismissed.has_dismissed("P2") and dismissed.employer_count("E1") == 1


def test_bounds() -> None:
    h = SeekerHistory()
    for i in range(MAX_POSTINGS + 20):
        posting = make_posting(f"P{i}", employer_id=f"E{i}", occupation_code="07C")
        h = h.with_interaction(make_interaction("S1", f"P{i}", "apply", i), posting)
    assert len(h.applied) == MAX_POSTINGS and not h.has_applied("P0")
    assert len(h.employer_counts) == MAX_COUNTS and h.occupation_count("07C") == MAX_POSTINGS + 20


def test_json_round_trip_and_bad_input() -> None:
    h = SeekerHistory(applied=("P1",), dismissed=("P2",), occupation_counts=(("07C", 2),))
    assert SeekerHistory.from_obj(orjson.loads(orjson.dumps(h.to_obj()))) == h
    with pytest.raises(ValueError, match="to_obj"):
        SeekerHistory.from_obj({"occupations": [["07C"]]})


def test_engagements_are_bounded_idempotent_and_load_from_old_objects() -> None:
    h = SeekerHistory()
    for i in range(MAX_ENGAGEMENTS + 10):
        h = h.with_interaction(make_interaction("S1", f"P{i}", "click", i), None)
    assert len(h.engagements) == MAX_ENGAGEMENTS
    assert h.engagements[0] == ("P10", "click", 10)  # the oldest fell off
    # The same (posting, action, ts) again, e.g. a replay under a new event id: no change.
    last = make_interaction("S1", f"P{MAX_ENGAGEMENTS + 9}", "click", MAX_ENGAGEMENTS + 9)
    assert h.with_interaction(last, None) is h
    # A history stored before engagements existed still loads (and has none).
    old = {"applied": ["P1"], "dismissed": [], "occupations": [], "employers": []}
    assert SeekerHistory.from_obj(old) == SeekerHistory(applied=("P1",))
    assert SeekerHistory.from_obj(orjson.loads(orjson.dumps(h.to_obj()))) == h
