"""The validator accepts the contract's examples and names the right field for each bad event."""

from __future__ import annotations

import pickle

import orjson
import pytest

from schemas import (
    ValidationError,
    event_from_obj,
    parse_event,
    parse_interaction,
    parse_posting_event,
    parse_profile_event,
)
from schemas.errors import REASONS
from schemas.interactions import Interaction
from schemas.postings import PostingEvent, Wage
from schemas.profiles import ProfileEvent
from tests.schemas.schema_corpus import INVALID, VALID, Case, design_examples, posting


def test_every_design_example_validates() -> None:
    examples = design_examples()
    # DESIGN.md has one example per topic; if that changes, this test must learn the new ones.
    assert set(examples) == {"postings", "profiles", "interactions"}
    for family, obj in examples.items():
        event = parse_event(family, orjson.dumps(obj))
        assert event.event_id == obj["event_id"]


def test_design_posting_example_fields() -> None:
    event = parse_posting_event(orjson.dumps(design_examples()["postings"]))
    assert isinstance(event, PostingEvent)
    assert event.posting_id == "P100"
    assert event.posting is not None
    assert event.posting.wage == Wage("monthly", 2800000, 3200000)
    assert event.posting.employment_types == ("regular",)  # lists become tuples
    assert event.posting.career_max_years is None


def test_typed_parsers_return_their_family() -> None:
    examples = design_examples()
    assert isinstance(parse_profile_event(orjson.dumps(examples["profiles"])), ProfileEvent)
    assert isinstance(parse_interaction(orjson.dumps(examples["interactions"])), Interaction)


@pytest.mark.parametrize(("label", "family", "event"), VALID, ids=[v[0] for v in VALID])
def test_valid_corpus_is_accepted(label: str, family: str, event: object) -> None:
    parsed = parse_event(family, orjson.dumps(event))
    assert event_from_obj(family, event) == parsed


def test_invalid_corpus_is_large_and_distinct() -> None:
    # The acceptance criterion: at least 40 distinct invalid events.
    distinct = {(c.family, orjson.dumps(c.event)) for c in INVALID}
    assert len(distinct) == len(INVALID) >= 40
    assert len({c.label for c in INVALID}) == len(INVALID)


@pytest.mark.parametrize("case", INVALID, ids=[c.label for c in INVALID])
def test_invalid_event_names_the_field(case: Case) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(case.family, orjson.dumps(case.event))
    err = info.value
    assert (err.path, err.reason) == (case.path, case.reason), str(err)
    # The message leads with the path and says what was expected or what is missing.
    assert str(err) == (f"{case.path}: {err.problem}" if case.path else err.problem)
    assert any(w in err.problem for w in ("expected", "missing", "duplicate")), err.problem
    # The decoded-object entry point agrees with the bytes entry point.
    with pytest.raises(ValidationError) as again:
        event_from_obj(case.family, case.event)
    assert (again.value.path, str(again.value)) == (err.path, str(err))


def test_issue_example_message() -> None:
    with pytest.raises(ValidationError) as info:
        parse_event("postings", orjson.dumps(posting("posting.wage.min", "삼백만원")))
    assert str(info.value) == 'posting.wage.min: expected an integer >= 0, got "삼백만원"'


def test_messages_say_what_was_expected_and_what_came() -> None:
    cases = {
        "posting.region_code": (posting("posting.region_code", "41"), '"41"'),
        "posting.headcount": (posting("posting.headcount", 0), "from 1 to 10000, got 0"),
        "posting.wage.max": (posting("posting.wage.max", 100), ">= min (2800000), got 100"),
        "posting.skills": (posting("posting.skills", ["s"] * 51), "got a list of 51 items"),
        "posting.deadline": (posting("posting.deadline", "2026-02-30"), "YYYY-MM-DD"),
    }
    for path, (event, fragment) in cases.items():
        with pytest.raises(ValidationError) as info:
            event_from_obj("postings", event)
        assert info.value.path == path
        assert fragment in info.value.problem, info.value.problem


def test_bad_utf8_is_its_own_reason() -> None:
    raw = orjson.dumps(posting("posting.title", "ABC")).replace(b"ABC", b"A\xc3\x28C")
    with pytest.raises(ValidationError) as info:
        parse_event("postings", raw)
    assert info.value.reason == "bad_utf8"
    assert info.value.path == ""
    bad_byte = raw.index(b"\xc3")
    assert f"at byte {bad_byte}" in str(info.value)


@pytest.mark.parametrize("raw", [b"", b"{", b"{}}", b"nul", b"[1,]", b"\x00", b"NaN"])
def test_not_json_is_bad_json(raw: bytes) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event("interactions", raw)
    assert info.value.reason == "bad_json"
    assert str(info.value).startswith("not valid JSON")


@pytest.mark.parametrize("raw", [b"[]", b"1", b'"x"', b"null", b"true"])
def test_json_that_is_not_an_object_is_bad_json(raw: bytes) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event("profiles", raw)
    assert (info.value.reason, info.value.path) == ("bad_json", "")
    assert str(info.value).startswith("expected a JSON object")


def test_size_limit_counts_bytes_and_is_inclusive() -> None:
    raw = orjson.dumps(posting("posting.description", "가" * 1000))  # 3 bytes per 가
    assert parse_event("postings", raw, max_bytes=len(raw)).posting_id == "P100"
    with pytest.raises(ValidationError) as info:
        parse_event("postings", raw, max_bytes=len(raw) - 1)
    assert info.value.reason == "oversized"
    assert f"{len(raw)} bytes" in str(info.value)


def test_default_size_limit_is_64_kib() -> None:
    # A 64 KiB + 1 message is rejected before anything else is looked at.
    with pytest.raises(ValidationError) as info:
        parse_event("postings", b" " * 65537)
    assert info.value.reason == "oversized"
    with pytest.raises(ValidationError) as info:
        parse_event("postings", b" " * 65536)
    assert info.value.reason == "bad_json"


def test_version_is_checked_before_the_fields() -> None:
    # A future v2 message may look nothing like v1: say "unsupported version", not "bad field".
    with pytest.raises(ValidationError) as info:
        parse_event("postings", b'{"v": 2, "posting": 42}')
    assert info.value.reason == "unsupported_version"


def test_str_input_and_tuples_are_accepted() -> None:
    raw = orjson.dumps(design_examples()["interactions"]).decode()
    assert parse_event("interactions", raw.encode()) == parse_event("interactions", raw)
    obj = posting("posting.skills", ("지게차", "용접"))
    posting_event = event_from_obj("postings", obj)
    assert isinstance(posting_event, PostingEvent) and posting_event.posting is not None
    assert posting_event.posting.skills == ("지게차", "용접")


def test_unknown_family_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown event family 'jobs'"):
        parse_event("jobs", b"{}")
    with pytest.raises(ValueError, match="unknown event family"):
        event_from_obj("jobs", {})


def test_validation_error_pickles_and_refuses_unknown_reasons() -> None:
    err = ValidationError("posting.title", "expected a string", reason="schema")
    back = pickle.loads(pickle.dumps(err))
    assert (back.path, back.problem, back.reason, str(back)) == (
        err.path,
        err.problem,
        err.reason,
        str(err),
    )
    assert isinstance(err, ValueError)
    with pytest.raises(ValueError, match="unknown rejection reason"):
        ValidationError("", "x", reason="weird")
    assert set(REASONS) == {
        "bad_utf8",
        "bad_json",
        "oversized",
        "unsupported_version",
        "schema",
        "key_mismatch",
        "processing_error",
    }
