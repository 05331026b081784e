"""Fixtures for the importer tests."""

from __future__ import annotations

import pytest

from importers import ImportResult, import_rows

from .exports import EXPORTS


@pytest.fixture(scope="session")
def imported() -> dict[str, list[ImportResult]]:
    """Every row of both real exports, imported once for the whole session."""
    return {fmt: list(import_rows(fmt, path)) for fmt, path in EXPORTS.items()}
