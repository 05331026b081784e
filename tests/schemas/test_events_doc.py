"""docs/events.md stays true: its examples validate and its tables list every field."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from schemas import parse_event
from schemas.dead_letter import DLQ_PROPS, DeadLetter
from schemas.fields import Obj, cross_checks_of
from schemas.spec import DESIRED_WAGE, INTERACTION, POSTING, PROFILE, WAGE
from tests.schemas.schema_corpus import ROOT

DOC = (ROOT / "docs" / "events.md").read_text("utf-8")


def _json_blocks() -> list[Any]:
    return [orjson.loads(b) for b in re.findall(r"```json\n(.*?)```", DOC, re.S)]


def _family(block: dict[str, Any]) -> str:
    if "rejected_at" in block:
        return "dlq"
    if "posting" in block:
        return "postings"
    if "profile" in block:
        return "profiles"
    return "interactions"


def test_every_example_validates(json_validators: dict[str, Any]) -> None:
    blocks = [b for b in _json_blocks() if isinstance(b, dict)]
    families = [_family(b) for b in blocks]
    # Upsert and close/deactivate for postings and profiles, one interaction, one DLQ record.
    assert sorted(families) == sorted(
        ["postings", "postings", "profiles", "profiles", "interactions", "dlq"]
    )
    for block, family in zip(blocks, families, strict=True):
        json_validators[family].validate(block)
        if family == "dlq":
            DeadLetter.from_json(orjson.dumps(block))
        else:
            parse_event(family, orjson.dumps(block))


@pytest.mark.parametrize(
    "names",
    [[p.name for p in spec.props] for spec in (POSTING, WAGE, PROFILE, DESIRED_WAGE, INTERACTION)]
    + [[p.name for p in DLQ_PROPS]],
    ids=["posting", "wage", "profile", "desired_wage", "interaction", "dlq"],
)
def test_every_field_has_a_table_row(names: list[str]) -> None:
    for name in names:
        assert f"| `{name}` |" in DOC, f"docs/events.md has no table row for {name}"


def test_python_only_rules_are_listed() -> None:
    section = DOC.split("### What only the Python validator checks")[1].split("\n## ")[0]
    for spec in (POSTING, PROFILE, INTERACTION):
        assert isinstance(spec, Obj)
        for rule in cross_checks_of(spec):
            assert rule.doc in section, rule.doc
