"""The result type every field parser of the importers returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """A parsed value and, when the raw text could not be mapped faithfully, why.

    ``note`` is the second half of an import note (``wage left empty (협의)``); the row
    mapper adds the field name and the raw value in front of it.
    """

    value: T
    note: str | None = None
