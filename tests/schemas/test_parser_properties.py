"""Properties of the parser: it only ever raises ValidationError, and encode/parse round-trip."""

from __future__ import annotations

import contextlib
import json
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import (
    FAMILIES,
    ValidationError,
    encode,
    event_from_obj,
    family_of,
    key_of,
    parse_event,
    posting_from_obj,
    profile_from_obj,
    to_obj,
)
from schemas.interactions import ACTIONS, SOURCES, Interaction
from schemas.postings import EMPLOYMENT_TYPES, WAGE_TYPES, Posting, PostingEvent, Wage
from schemas.profiles import AGE_BANDS, DesiredWage, Profile, ProfileEvent
from schemas.reference import middle_occupation_codes, sido_codes, sigungu_codes
from tests.schemas.schema_corpus import BASES

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def _parse_or_validation_error(family: str, raw: bytes) -> None:
    try:
        parse_event(family, raw)
    except ValidationError as e:
        assert e.reason in ("bad_utf8", "bad_json", "oversized", "unsupported_version", "schema")


@settings(max_examples=300, deadline=None)
@given(family=st.sampled_from(FAMILIES), raw=st.binary(max_size=300))
def test_random_bytes_raise_only_validation_errors(family: str, raw: bytes) -> None:
    _parse_or_validation_error(family, raw)


@settings(max_examples=300, deadline=None)
@given(family=st.sampled_from(FAMILIES), value=json_values)
def test_random_json_raises_only_validation_errors(family: str, value: Any) -> None:
    # json.dumps may write lone surrogates as \ud800 escapes, which orjson rejects: good too.
    _parse_or_validation_error(family, json.dumps(value).encode())


ENVELOPE_FIELDS = ["v", "event_id", "ts", "op", "posting", "profile", "seeker_id", "posting_id"]
ENVELOPE_FIELDS += ["action", "source", "position"]


@settings(max_examples=300, deadline=None)
@given(
    family=st.sampled_from(FAMILIES),
    overrides=st.dictionaries(
        st.sampled_from(ENVELOPE_FIELDS),
        json_values,
        max_size=3,
    ),
)
def test_random_envelopes_raise_only_validation_errors(
    family: str, overrides: dict[str, Any]
) -> None:
    # Random values where the envelope's fields go reach deeper than random documents do.
    _parse_or_validation_error(family, json.dumps({**BASES[family], **overrides}).encode())


@settings(max_examples=200, deadline=None)
@given(family=st.sampled_from(FAMILIES), value=json_values)
def test_random_decoded_objects_raise_only_validation_errors(family: str, value: Any) -> None:
    with contextlib.suppress(ValidationError):
        event_from_obj(family, value)


# ---------------------------------------------------------------- valid events, generated
ids = st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True)
event_ids = st.from_regex(r"[A-Za-z0-9_.:-]{1,128}", fullmatch=True)
epoch_ms = st.integers(946_684_800_000, 4_102_444_799_999)
# Names, titles and tags are single lines: no control characters (schemas.fields).
lines = partial(st.text, alphabet=st.characters(exclude_categories=("Cc", "Cs")))
tags = lines(min_size=1, max_size=50)
career = st.integers(0, 60)
education = st.sampled_from([f"0{i}" for i in range(8)])
amounts = st.integers(0, 10**10)
employment = st.lists(st.sampled_from(EMPLOYMENT_TYPES), unique=True, max_size=6).map(tuple)


@st.composite
def wages(draw: st.DrawFn) -> Wage:
    low = draw(amounts)
    high = draw(st.none() | st.integers(low, 10**10))
    return Wage(draw(st.sampled_from(WAGE_TYPES)), low, high)  # type: ignore[arg-type]


@st.composite
def postings(draw: st.DrawFn) -> Posting:
    low = draw(career)
    return Posting(
        posting_id=draw(ids),
        employer_id=draw(ids),
        employer_name=draw(lines(min_size=1, max_size=100)),
        title=draw(lines(min_size=1, max_size=200)),
        posted_at=draw(epoch_ms),
        description=draw(lines(max_size=300)),
        occupation_code=draw(st.none() | st.sampled_from(middle_occupation_codes())),
        region_code=draw(st.none() | st.sampled_from(sigungu_codes())),
        region_name=draw(st.none() | lines(max_size=100)),
        wage=draw(st.none() | wages()),
        education_min=draw(education),
        career_min_years=low,
        career_max_years=draw(st.none() | st.integers(low, 60)),
        employment_types=draw(employment),
        skills=tuple(draw(st.lists(tags, max_size=50))),
        certificates=tuple(draw(st.lists(tags, max_size=30))),
        headcount=draw(st.none() | st.integers(1, 10_000)),
        deadline=draw(st.none() | st.dates().map(lambda d: d.isoformat())),
    )


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    regions = st.sampled_from(sido_codes() + sigungu_codes())
    return Profile(
        seeker_id=draw(ids),
        desired_occupation_codes=tuple(
            draw(st.lists(st.sampled_from(middle_occupation_codes()), max_size=20))
        ),
        desired_titles=tuple(draw(st.lists(tags, max_size=20))),
        desired_region_codes=tuple(draw(st.lists(regions, max_size=30))),
        home_region_code=draw(st.none() | st.sampled_from(sigungu_codes())),
        desired_wage=draw(st.none() | st.builds(DesiredWage, st.sampled_from(WAGE_TYPES), amounts)),
        education_level=draw(st.none() | education),
        career_years=draw(career),
        skills=tuple(draw(st.lists(tags, max_size=50))),
        certificates=tuple(draw(st.lists(tags, max_size=30))),
        employment_types=draw(employment),
        age_band=draw(st.none() | st.sampled_from(AGE_BANDS)),
    )


@st.composite
def events(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["posting", "close", "profile", "deactivate", "interaction"]))
    event_id, ts = draw(event_ids), draw(epoch_ms)
    if kind == "posting":
        p = draw(postings())
        return PostingEvent(event_id, ts, "upsert", p.posting_id, p)
    if kind == "close":
        return PostingEvent(event_id, ts, "close", draw(ids))
    if kind == "profile":
        pr = draw(profiles())
        return ProfileEvent(event_id, ts, "upsert", pr.seeker_id, pr)
    if kind == "deactivate":
        return ProfileEvent(event_id, ts, "deactivate", draw(ids))
    return Interaction(
        event_id,
        ts,
        draw(ids),
        draw(ids),
        draw(st.sampled_from(ACTIONS)),  # type: ignore[arg-type]
        draw(st.sampled_from(SOURCES)),  # type: ignore[arg-type]
        draw(st.none() | st.integers(0, 10_000)),
    )


@settings(max_examples=200, deadline=None)
@given(event=events())
def test_encode_then_parse_round_trips(event: Any) -> None:
    family = family_of(event)
    raw = encode(event)
    assert parse_event(family, raw) == event
    assert event_from_obj(family, to_obj(event)) == event
    # The key is the id the contract names, as UTF-8.
    parsed_key = event.posting_id if family == "postings" else event.seeker_id
    assert key_of(event) == parsed_key.encode()


def test_encode_leaves_out_empty_optional_fields() -> None:
    posting = Posting("P1", "E1", "한빛", "지게차", 1764230400000)
    obj = to_obj(PostingEvent("e1", 1764230400000, "upsert", "P1", posting))
    # Required fields and non-empty defaults stay; None, "" and () are left out.
    assert obj["posting"] == {
        "posting_id": "P1",
        "employer_id": "E1",
        "employer_name": "한빛",
        "title": "지게차",
        "education_min": "00",
        "career_min_years": 0,
        "posted_at": 1764230400000,
    }
    interaction = Interaction("e3", 1764230460000, "S42", "P100", "click", "reco", position=0)
    assert to_obj(interaction)["position"] == 0  # 0 is a value, not "empty"


def test_close_and_deactivate_carry_only_the_id() -> None:
    posting = Posting("P1", "E1", "한빛", "지게차", 1764230400000)
    close = PostingEvent("e1", 1764230400000, "close", "P1", posting)
    assert to_obj(close)["posting"] == {"posting_id": "P1"}
    assert encode(ProfileEvent("e2", 1764230400000, "deactivate", "S9")).endswith(
        b'"profile":{"seeker_id":"S9"}}'
    )


@settings(max_examples=50, deadline=None)
@given(posting=postings(), profile=profiles())
def test_bare_payloads_round_trip(posting: Posting, profile: Profile) -> None:
    # State stores keep payloads without their envelope (online_model/live/seeker_state.py).
    assert posting_from_obj(to_obj(posting)) == posting
    assert profile_from_obj(to_obj(profile)) == profile


def test_bare_payload_errors_are_relative_to_the_payload() -> None:
    with pytest.raises(ValidationError) as info:
        profile_from_obj({"seeker_id": "S1", "desired_wage": {"type": "monthly"}})
    assert info.value.path == "desired_wage.min"
