"""Importers: real job-site exports (CSV) -> posting events of the public contract.

``import_rows("saramin", path)`` yields one :class:`ImportResult` per data row: an
``upsert`` event that keeps whatever could be mapped, and a note for every field that
could not. Formats: ``work24`` (고용24 search export) and ``saramin`` (사람인 search
export).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from importers import saramin, work24
from importers.result import ImportResult, note_kind

__all__ = [
    "FORMATS",
    "ImportFormatError",
    "ImportResult",
    "check_export",
    "count_rows",
    "import_rows",
    "note_kind",
]


@dataclass(frozen=True, slots=True)
class Format:
    """An export format: the columns its header must have and the row mapper."""

    name: str
    columns: tuple[str, ...]
    map_row: Callable[[dict[str, str], int], ImportResult]


FORMATS: dict[str, Format] = {
    work24.NAME: Format(work24.NAME, work24.COLUMNS, work24.map_row),
    saramin.NAME: Format(saramin.NAME, saramin.COLUMNS, saramin.map_row),
}


class ImportFormatError(ValueError):
    """The file cannot be read as the chosen format; the message says what to do."""


def _format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise ImportFormatError(
            f"unknown format {name!r}: use one of {', '.join(FORMATS)}"
        ) from None


def _check_header(fmt: Format, path: Path, header: Sequence[str] | None) -> None:
    have = [h.strip() for h in header or []]
    missing = [c for c in fmt.columns if c not in have]
    if not missing:
        return
    fits = [f.name for f in FORMATS.values() if all(c in have for c in f.columns)]
    hint = f"; it looks like a {fits[0]} export: use FORMAT {fits[0]}" if fits else ""
    raise ImportFormatError(
        f"{path} is not a {fmt.name} export: the header lacks {', '.join(missing)}{hint}"
    )


def check_export(format: str, path: str | os.PathLike[str]) -> None:
    """Fail early, before any output is opened, when ``path`` is not a ``format`` export.

    Raises :class:`ImportFormatError` (unknown format, wrong header, not UTF-8) or
    ``OSError`` (missing or unreadable file).
    """
    for _ in _read(format, path, header_only=True):
        pass


def import_rows(format: str, path: str | os.PathLike[str]) -> Iterator[ImportResult]:
    """Read an export file and yield one result per data row, in file order.

    Raises what :func:`check_export` raises, when the first result is asked for.
    """
    yield from _read(format, path, header_only=False)


def _read(
    format: str, path: str | os.PathLike[str], *, header_only: bool
) -> Iterator[ImportResult]:
    fmt = _format(format)
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        try:
            reader = csv.DictReader(f)
            _check_header(fmt, path, reader.fieldnames)
            if header_only:
                return
            for line, row in enumerate(reader, start=1):
                yield fmt.map_row({(k or "").strip(): v for k, v in row.items()}, line)
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}): "
                "save the export as UTF-8 CSV and try again"
            ) from None


def count_rows(path: str | os.PathLike[str]) -> int:
    """The number of data rows of a CSV file (for a progress bar); 0 if unreadable."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            return max(sum(1 for _ in csv.reader(f)) - 1, 0)
    except (OSError, UnicodeDecodeError):
        return 0
