"""Fixtures for the schema tests: a JSON Schema validator per family, from the committed files."""

from __future__ import annotations

import jsonschema
import pytest

from schemas.jsonschema_gen import load_schema


@pytest.fixture(scope="session")
def json_validators() -> dict[str, jsonschema.protocols.Validator]:
    """Draft 2020-12 validators that check "format" (dates) like a strict consumer would."""
    out = {}
    for family in ("postings", "profiles", "interactions", "dlq"):
        schema = load_schema(family)
        jsonschema.Draft202012Validator.check_schema(schema)
        out[family] = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
    return out
