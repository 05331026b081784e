"""The public event contract: types, validation, JSON Schemas and reference code lists.

Parse and validate a message with :func:`parse_event` (bytes) or :func:`event_from_obj`
(decoded JSON); both raise :class:`~schemas.errors.ValidationError` naming the field path
and the problem. :func:`encode` and :func:`to_obj` go the other way.

Examples
--------
>>> from schemas import encode, parse_event
>>> raw = (b'{"v": 1, "event_id": "ev-3", "ts": 1764230460000, "seeker_id": "S42",'
...        b' "posting_id": "P100", "action": "apply", "source": "reco", "position": 3}')
>>> event = parse_event("interactions", raw)
>>> event.action, event.position
('apply', 3)
>>> parse_event("interactions", encode(event)) == event
True
"""

from schemas.codec import encode, family_of, key_of, to_obj
from schemas.errors import REASONS, ValidationError
from schemas.validate import (
    FAMILIES,
    Event,
    event_from_obj,
    interaction_from_obj,
    load_json,
    parse_event,
    parse_interaction,
    parse_posting_event,
    parse_profile_event,
    posting_event_from_obj,
    posting_from_obj,
    profile_event_from_obj,
    profile_from_obj,
)

__all__ = [
    "FAMILIES",
    "REASONS",
    "Event",
    "ValidationError",
    "encode",
    "event_from_obj",
    "family_of",
    "interaction_from_obj",
    "key_of",
    "load_json",
    "parse_event",
    "parse_interaction",
    "parse_posting_event",
    "parse_profile_event",
    "posting_event_from_obj",
    "posting_from_obj",
    "profile_event_from_obj",
    "profile_from_obj",
    "to_obj",
]
