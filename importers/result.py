"""What importing one row gives: the event, and notes on what could not be mapped."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TypeVar

from importers.ids import event_id_for
from importers.parsed import Parsed
from schemas.postings import Posting, PostingEvent

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """One imported row.

    ``line`` is the 1-based number of the data row (the header is not counted);
    ``event`` is always an ``upsert``; ``notes`` has one entry per field that could not be
    mapped faithfully, as ``field: "raw value" -> what was done``.
    """

    line: int
    event: PostingEvent
    notes: list[str] = field(default_factory=list)


def note_kind(note: str) -> str:
    """The field a note is about, used to group notes: ``'salary: "…" -> …'`` -> ``salary``.

    >>> note_kind('salary: "정보 없음" -> wage left empty (협의)')
    'salary'
    """
    return note.split(":", 1)[0]


class Notes:
    """Collects the notes of one row while its fields are parsed."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, field_name: str, raw: str, why: str) -> None:
        self.items.append(f'{field_name}: "{raw}" -> {why}')

    def take(self, field_name: str, raw: str, parsed: Parsed[T]) -> T:
        """The parsed value; its note, if any, is recorded under ``field_name``."""
        if parsed.note:
            self.add(field_name, raw, parsed.note)
        return parsed.value

    def text(self, field_name: str, raw: str, *, max_chars: int, fallback: str) -> str:
        """A required text field: trimmed, cut to the contract's length, never empty."""
        value = " ".join(unicodedata.normalize("NFC", raw).split())
        if not value:
            self.add(field_name, raw, f"empty; set to {fallback!r}")
            return fallback
        if len(value) > max_chars:
            self.add(field_name, raw[:40] + "…", f"longer than {max_chars} characters; cut")
            return value[:max_chars]
        return value


def upsert_event(posting: Posting) -> PostingEvent:
    """The posting's import event: deterministic id, event time = ``posted_at``."""
    return PostingEvent(
        event_id=event_id_for(posting.posting_id),
        ts=posting.posted_at,
        op="upsert",
        posting_id=posting.posting_id,
        posting=posting,
    )
