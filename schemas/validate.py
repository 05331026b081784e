"""Parse and validate events: bytes or decoded JSON in, event dataclasses out.

Every function raises :class:`~schemas.errors.ValidationError` and nothing else for a bad
message (a bad ``family`` argument is a programming error: ``ValueError``). Checks run in
a fixed order (size, UTF-8, JSON, ``v``, then the fields in contract order) and the
first problem found is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from schemas.errors import (
    BAD_JSON,
    BAD_UTF8,
    OVERSIZED,
    UNSUPPORTED_VERSION,
    ValidationError,
)
from schemas.fields import Field, describe
from schemas.interactions import Interaction
from schemas.postings import Posting, PostingEvent
from schemas.profiles import Profile, ProfileEvent
from schemas.spec import (
    EPOCH_MS,
    EVENT_ID,
    ID,
    INTERACTION,
    MAX_MESSAGE_BYTES,
    POSTING,
    POSTING_OP,
    PROFILE,
    PROFILE_OP,
    SCHEMA_VERSION,
)

Event = PostingEvent | ProfileEvent | Interaction
FAMILIES: tuple[str, ...] = ("postings", "profiles", "interactions")

_MISSING: Any = object()


def load_json(
    raw: bytes | bytearray | memoryview | str, *, max_bytes: int = MAX_MESSAGE_BYTES
) -> Any:
    """Decode one message to a JSON value, checking its size, its UTF-8 and its syntax.

    Parameters
    ----------
    raw
        The message value as received (``str`` is encoded to UTF-8 first).
    max_bytes
        The largest accepted message.

    Examples
    --------
    >>> load_json(b'{"v": 1}')
    {'v': 1}
    >>> load_json(b"\\xff{}")
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: not valid UTF-8: invalid start byte at byte 0
    >>> load_json(b"{}", max_bytes=1)
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: message is 2 bytes, over the limit of 1 bytes
    """
    if isinstance(raw, str):
        # surrogatepass: a str with lone surrogates becomes bytes that fail as bad UTF-8.
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise ValidationError(
            "",
            f"message is {len(raw)} bytes, over the limit of {max_bytes} bytes",
            reason=OVERSIZED,
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson reports bad UTF-8 as a JSON error; tell the two apart for the DLQ reason.
        try:
            bytes(raw).decode("utf-8")
        except UnicodeDecodeError as bad:
            raise ValidationError(
                "", f"not valid UTF-8: {bad.reason} at byte {bad.start}", reason=BAD_UTF8
            ) from None
        raise ValidationError("", f"not valid JSON: {exc}", reason=BAD_JSON) from None


def _envelope(obj: object) -> dict[str, Any]:
    """The message as a dict whose ``v`` this code understands."""
    if not isinstance(obj, dict):
        raise ValidationError("", f"expected a JSON object, got {describe(obj)}", reason=BAD_JSON)
    v = obj.get("v", _MISSING)
    if v is _MISSING:
        raise ValidationError(
            "v", f"required field is missing (the schema version, {SCHEMA_VERSION})"
        )
    # 1.0 counts as 1, as everywhere else integers are checked (JSON Schema does the same).
    if type(v) not in (int, float) or v != SCHEMA_VERSION:
        raise ValidationError(
            "v",
            f"expected schema version {SCHEMA_VERSION}, got {describe(v)}",
            reason=UNSUPPORTED_VERSION,
        )
    return obj


def _field(obj: dict[str, Any], name: str, kind: Field) -> Any:
    raw = obj.get(name, _MISSING)
    if raw is _MISSING:
        raise ValidationError(name, "required field is missing")
    try:
        return kind.check(raw)
    except ValidationError as e:
        raise e.within(name) from None


def _id_only(obj: dict[str, Any], body_name: str, id_name: str) -> str:
    """The id of a ``close`` / ``deactivate`` body, which needs nothing else."""
    body = obj.get(body_name, _MISSING)
    if body is _MISSING:
        raise ValidationError(body_name, "required field is missing")
    if not isinstance(body, dict):
        raise ValidationError(body_name, f"expected an object, got {describe(body)}")
    try:
        return str(_field(body, id_name, ID))
    except ValidationError as e:
        raise e.within(body_name) from None


def posting_event_from_obj(obj: object) -> PostingEvent:
    """Validate a decoded ``jobmatch.postings`` message.

    Parameters
    ----------
    obj
        The decoded JSON value.

    Examples
    --------
    >>> ev = posting_event_from_obj({"v": 1, "event_id": "e1", "ts": 1764230400000,
    ...     "op": "close", "posting": {"posting_id": "P100"}})
    >>> ev.op, ev.posting_id, ev.posting
    ('close', 'P100', None)
    >>> posting_event_from_obj({"v": 1, "event_id": "e1", "ts": 1764230400000, "op": "upsert",
    ...     "posting": {"posting_id": "P1", "employer_id": "E1", "employer_name": "한빛",
    ...                 "title": "지게차", "posted_at": 1764230400000,
    ...                 "wage": {"type": "monthly", "min": "삼백만원"}}})
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: posting.wage.min: expected an integer >= 0, got "삼백만원"
    """
    d = _envelope(obj)
    event_id = _field(d, "event_id", EVENT_ID)
    ts = _field(d, "ts", EPOCH_MS)
    op = _field(d, "op", POSTING_OP)
    if op == "close":
        return PostingEvent(event_id, ts, op, _id_only(d, "posting", "posting_id"))
    posting = _field(d, "posting", POSTING)
    return PostingEvent(event_id, ts, op, posting.posting_id, posting)


def profile_event_from_obj(obj: object) -> ProfileEvent:
    """Validate a decoded ``jobmatch.profiles`` message.

    Parameters
    ----------
    obj
        The decoded JSON value.

    Examples
    --------
    >>> ev = profile_event_from_obj({"v": 1, "event_id": "e2", "ts": 1764230400000,
    ...     "op": "upsert", "profile": {"seeker_id": "S42", "desired_region_codes": ["41"]}})
    >>> ev.seeker_id, ev.profile.desired_region_codes
    ('S42', ('41',))
    """
    d = _envelope(obj)
    event_id = _field(d, "event_id", EVENT_ID)
    ts = _field(d, "ts", EPOCH_MS)
    op = _field(d, "op", PROFILE_OP)
    if op == "deactivate":
        return ProfileEvent(event_id, ts, op, _id_only(d, "profile", "seeker_id"))
    profile = _field(d, "profile", PROFILE)
    return ProfileEvent(event_id, ts, op, profile.seeker_id, profile)


def interaction_from_obj(obj: object) -> Interaction:
    """Validate a decoded ``jobmatch.interactions`` message.

    Parameters
    ----------
    obj
        The decoded JSON value.

    Examples
    --------
    >>> interaction_from_obj({"v": 1, "event_id": "e3", "ts": 1764230460000,
    ...     "seeker_id": "S42", "posting_id": "P100", "action": "apply", "source": "reco"})
    ... # doctest: +NORMALIZE_WHITESPACE
    Interaction(event_id='e3', ts=1764230460000, seeker_id='S42', posting_id='P100',
                action='apply', source='reco', position=None, v=1)
    """
    interaction: Interaction = INTERACTION.check(_envelope(obj))
    return interaction


def posting_from_obj(obj: object) -> Posting:
    """Validate a bare posting object (what goes under ``"posting"`` in an upsert).

    Error paths are relative to the posting (``wage.min``, not ``posting.wage.min``).

    Parameters
    ----------
    obj
        The decoded JSON object, e.g. ``to_obj(posting)``.

    Examples
    --------
    >>> posting_from_obj({"posting_id": "P1", "employer_id": "E1", "employer_name": "한빛",
    ...                   "title": "지게차", "posted_at": 1764230400000}).education_min
    '00'
    """
    posting: Posting = POSTING.check(obj)
    return posting


def profile_from_obj(obj: object) -> Profile:
    """Validate a bare profile object (what goes under ``"profile"`` in an upsert).

    Error paths are relative to the profile (``desired_wage.min``).

    Parameters
    ----------
    obj
        The decoded JSON object, e.g. ``to_obj(profile)``.

    Examples
    --------
    >>> profile_from_obj({"seeker_id": "S42", "skills": ["지게차"]}).skills
    ('지게차',)
    """
    profile: Profile = PROFILE.check(obj)
    return profile


_FROM_OBJ: dict[str, Callable[[object], Event]] = {
    "postings": posting_event_from_obj,
    "profiles": profile_event_from_obj,
    "interactions": interaction_from_obj,
}


def event_from_obj(family: str, obj: object) -> Event:
    """Validate a decoded message of a topic family.

    Parameters
    ----------
    family
        ``"postings"``, ``"profiles"`` or ``"interactions"``.
    obj
        The decoded JSON value.

    Examples
    --------
    >>> event_from_obj("interactions", [])
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: expected a JSON object, got a list
    """
    try:
        from_obj = _FROM_OBJ[family]
    except KeyError:
        raise ValueError(f"unknown event family {family!r}; use one of {FAMILIES}") from None
    return from_obj(obj)


def parse_posting_event(raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> PostingEvent:
    """Parse and validate one ``jobmatch.postings`` message value.

    Parameters
    ----------
    raw
        The message value.
    max_bytes
        The largest accepted message.

    Examples
    --------
    >>> parse_posting_event(b'{"v": 2}')
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: v: expected schema version 1, got 2
    """
    return posting_event_from_obj(load_json(raw, max_bytes=max_bytes))


def parse_profile_event(raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> ProfileEvent:
    """Parse and validate one ``jobmatch.profiles`` message value.

    Parameters
    ----------
    raw
        The message value.
    max_bytes
        The largest accepted message.

    Examples
    --------
    >>> parse_profile_event(b'{"v":1,"event_id":"e","ts":1764230400000,"op":"deactivate",'
    ...                     b'"profile":{"seeker_id":"S42"}}').op
    'deactivate'
    """
    return profile_event_from_obj(load_json(raw, max_bytes=max_bytes))


def parse_interaction(raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Interaction:
    """Parse and validate one ``jobmatch.interactions`` message value.

    Parameters
    ----------
    raw
        The message value.
    max_bytes
        The largest accepted message.

    Examples
    --------
    >>> parse_interaction(b'{"v":1,"event_id":"e","ts":1764230400000,"seeker_id":"S 42"}')
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: seeker_id: expected an id of 1 to 64 characters ..., got "S 42"
    """
    return interaction_from_obj(load_json(raw, max_bytes=max_bytes))


def parse_event(family: str, raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Event:
    """Parse and validate one message value of ``family``.

    Parameters
    ----------
    family
        ``"postings"``, ``"profiles"`` or ``"interactions"``.
    raw
        The message value.
    max_bytes
        The largest accepted message.

    Examples
    --------
    >>> parse_event("postings", b'{"v": 1, "event_id": "e1"')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: not valid JSON: unexpected end of data: line 1 column 26 ...
    """
    if family not in _FROM_OBJ:
        raise ValueError(f"unknown event family {family!r}; use one of {FAMILIES}")
    return _FROM_OBJ[family](load_json(raw, max_bytes=max_bytes))
