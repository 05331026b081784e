"""Turn event dataclasses back into contract JSON: ``to_obj``, ``encode``, keys and families.

Optional fields that hold their empty default (None, ``""``, an empty list) are left
out, which the contract allows; ``parse_event(f, encode(e)) == e`` for every valid event.
"""

from __future__ import annotations

from typing import Any

import orjson

from schemas.interactions import Interaction
from schemas.postings import Posting, PostingEvent
from schemas.profiles import Profile, ProfileEvent
from schemas.spec import INTERACTION, POSTING, PROFILE
from schemas.validate import Event


def to_obj(event: Event | Posting | Profile) -> dict[str, Any]:
    """The contract JSON object of an event (or of a bare posting or profile).

    A ``close`` or ``deactivate`` carries only the id in its body, whatever else the
    dataclass holds. A bare :class:`Posting` or :class:`Profile` gives the object that
    goes under ``"posting"`` / ``"profile"`` (read it back with ``posting_from_obj`` /
    ``profile_from_obj``), for state stores that keep payloads without their envelope.

    Parameters
    ----------
    event
        A posting event, profile event or interaction; or a posting or profile.

    Examples
    --------
    >>> to_obj(PostingEvent("e1", 1764230400000, "close", "P100"))["posting"]
    {'posting_id': 'P100'}
    >>> sorted(to_obj(Interaction("e3", 1764230460000, "S42", "P100", "click", "reco")))
    ['action', 'event_id', 'posting_id', 'seeker_id', 'source', 'ts', 'v']
    >>> to_obj(Profile("S42", desired_region_codes=("41",)))
    {'seeker_id': 'S42', 'desired_region_codes': ['41'], 'career_years': 0}
    """
    if isinstance(event, Interaction):
        return {"v": event.v, **INTERACTION.dump(event)}
    if isinstance(event, Posting):
        payload: dict[str, Any] = POSTING.dump(event)
        return payload
    if isinstance(event, Profile):
        payload = PROFILE.dump(event)
        return payload
    out: dict[str, Any] = {"v": event.v, "event_id": event.event_id, "ts": event.ts, "op": event.op}
    if isinstance(event, PostingEvent):
        if event.op == "upsert" and event.posting is not None:
            out["posting"] = POSTING.dump(event.posting)
        else:
            out["posting"] = {"posting_id": event.posting_id}
    elif isinstance(event, ProfileEvent):
        if event.op == "upsert" and event.profile is not None:
            out["profile"] = PROFILE.dump(event.profile)
        else:
            out["profile"] = {"seeker_id": event.seeker_id}
    else:
        raise TypeError(f"not an event: {type(event).__name__}")
    return out


def encode(event: Event) -> bytes:
    """The message value of an event: compact UTF-8 JSON.

    It does not validate; :class:`client.producer.EventProducer` does before sending.

    Parameters
    ----------
    event
        A posting event, profile event or interaction.

    Examples
    --------
    >>> encode(ProfileEvent("e2", 1764230400000, "deactivate", "S42"))
    b'{"v":1,"event_id":"e2","ts":1764230400000,"op":"deactivate","profile":{"seeker_id":"S42"}}'
    """
    return orjson.dumps(to_obj(event))


def family_of(event: Event) -> str:
    """The topic family an event belongs to.

    Parameters
    ----------
    event
        A posting event, profile event or interaction.

    Examples
    --------
    >>> family_of(ProfileEvent("e2", 1764230400000, "deactivate", "S42"))
    'profiles'
    """
    if isinstance(event, PostingEvent):
        return "postings"
    if isinstance(event, ProfileEvent):
        return "profiles"
    if isinstance(event, Interaction):
        return "interactions"
    raise TypeError(f"not an event: {type(event).__name__}")


def key_of(event: Event) -> bytes:
    """The Kafka key of an event: the posting or seeker id as UTF-8 bytes.

    Postings are keyed by ``posting_id``; profiles and interactions by ``seeker_id``, so a
    seeker's profile and interactions share a partition.

    Parameters
    ----------
    event
        A posting event, profile event or interaction.

    Examples
    --------
    >>> key_of(Interaction("e3", 1764230460000, "S42", "P100", "click", "reco"))
    b'S42'
    """
    if isinstance(event, PostingEvent):
        return event.posting_id.encode()
    if isinstance(event, ProfileEvent | Interaction):
        return event.seeker_id.encode()
    raise TypeError(f"not an event: {type(event).__name__}")
