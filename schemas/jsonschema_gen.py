"""Generate the JSON Schema (draft 2020-12) files of the contract from its Python declaration.

The files under ``schemas/jsonschema/`` are committed for producers in other languages;
they are generated, never edited, so they cannot drift from the validator::

    python -m schemas.jsonschema_gen          # rewrite the files
    python -m schemas.jsonschema_gen --check  # exit 1 if a committed file is stale

Rules JSON Schema cannot express (the ``CrossCheck`` rules of :mod:`schemas.spec`, such
as ``wage.max >= wage.min``) and the message size limit are checked by the Python validator
only; docs/events.md lists them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from schemas.dead_letter import DLQ_PROPS, DLQ_VERSION
from schemas.fields import Defs, JsonSchema, Obj, Prop, cross_checks_of
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

DRAFT = "https://json-schema.org/draft/2020-12/schema"
OUT_DIR = Path(__file__).resolve().parent / "jsonschema"
FILES: dict[str, str] = {
    "postings": "postings.schema.json",
    "profiles": "profiles.schema.json",
    "interactions": "interactions.schema.json",
    "dlq": "dlq.schema.json",
}


def _python_only_note(payload: Obj) -> str:
    rules = [f"messages of at most {MAX_MESSAGE_BYTES} bytes"]
    rules += [rule.doc.replace("`", "") for rule in cross_checks_of(payload)]
    return "Checked by the reference validator only: " + "; ".join(rules) + "."


def _prop(p: Prop, defs: Defs) -> JsonSchema:
    sub = p.field.schema(defs)
    doc = p.doc or p.field.doc
    return {"description": doc, **sub} if doc else sub


def _envelope(defs: Defs) -> dict[str, JsonSchema]:
    return {
        "v": {"description": "Schema version.", "const": SCHEMA_VERSION},
        "event_id": _prop(Prop("event_id", EVENT_ID), defs),
        "ts": {"description": "Event time, epoch milliseconds.", **EPOCH_MS.schema(defs)},
    }


def _id_only_def(name: str, id_name: str, doc: str, defs: Defs) -> JsonSchema:
    defs[name] = {
        "description": doc,
        "type": "object",
        "required": [id_name],
        "properties": {id_name: ID.schema(defs)},
    }
    return {"$ref": f"#/$defs/{name}"}


def _with_ops(
    *,
    title: str,
    description: str,
    op_kind: Any,
    body_name: str,
    body: Obj,
    short_op: str,
    short_def: tuple[str, str, str],
) -> JsonSchema:
    """An event whose body is the full object, or only its id when ``op == short_op``."""
    defs: Defs = {}
    full = body.schema(defs)
    short = _id_only_def(*short_def, defs)
    properties = _envelope(defs)
    properties["op"] = {"description": "What happens.", **op_kind.schema(defs)}
    properties[body_name] = {"description": f"The {body_name}; only its id when op is {short_op}."}
    return {
        "$schema": DRAFT,
        "title": title,
        "description": f"{description} {_python_only_note(body)}",
        "type": "object",
        "required": ["v", "event_id", "ts", "op", body_name],
        "properties": properties,
        "if": {"properties": {"op": {"const": short_op}}, "required": ["op"]},
        "then": {"properties": {body_name: short}},
        "else": {"properties": {body_name: full}},
        "$defs": dict(sorted(defs.items())),
    }


def postings_schema() -> JsonSchema:
    """The JSON Schema of a ``jobmatch.postings`` message."""
    return _with_ops(
        title="jobmatch.postings event, version 1",
        description="A job posting was published or changed (upsert) or closed (close).",
        op_kind=POSTING_OP,
        body_name="posting",
        body=POSTING,
        short_op="close",
        short_def=("PostingRef", "posting_id", "A close carries only the posting id."),
    )


def profiles_schema() -> JsonSchema:
    """The JSON Schema of a ``jobmatch.profiles`` message."""
    return _with_ops(
        title="jobmatch.profiles event, version 1",
        description="A seeker profile was created or changed (upsert) or deactivated.",
        op_kind=PROFILE_OP,
        body_name="profile",
        body=PROFILE,
        short_op="deactivate",
        short_def=("ProfileRef", "seeker_id", "A deactivate carries only the seeker id."),
    )


def interactions_schema() -> JsonSchema:
    """The JSON Schema of a ``jobmatch.interactions`` message."""
    defs: Defs = {}
    body = INTERACTION.schema(defs)
    properties = {**_envelope(defs), **body["properties"]}
    out: JsonSchema = {
        "$schema": DRAFT,
        "title": "jobmatch.interactions event, version 1",
        "description": f"{INTERACTION.doc} {_python_only_note(INTERACTION)}",
        "type": "object",
        "required": ["v", *body["required"]],
        "properties": properties,
    }
    if defs:
        out["$defs"] = dict(sorted(defs.items()))
    return out


def dlq_schema() -> JsonSchema:
    """The JSON Schema of a ``jobmatch.dlq`` record."""
    defs: Defs = {}
    properties = {p.name: _prop(p, defs) for p in DLQ_PROPS}
    properties["v"] = {"description": "Version of the dead-letter record.", "const": DLQ_VERSION}

    def exactly_one(name: str) -> JsonSchema:
        return {"oneOf": [{"required": [name]}, {"required": [f"{name}_b64"]}]}

    return {
        "$schema": DRAFT,
        "title": "jobmatch.dlq record, version 1",
        "description": (
            "A message a consumer rejected: the original bytes (as text when they are UTF-8, "
            "base64 otherwise), where it was read and why it was rejected."
        ),
        "type": "object",
        "required": [p.name for p in DLQ_PROPS if p.required],
        "properties": properties,
        "allOf": [exactly_one("key"), exactly_one("value")],
    }


def generate() -> dict[str, JsonSchema]:
    """Every schema, by file name.

    Examples
    --------
    >>> sorted(generate())
    ['dlq.schema.json', 'interactions.schema.json', 'postings.schema.json', 'profiles.schema.json']
    >>> len(generate()["postings.schema.json"]["$defs"]["SigunguCode"]["enum"])
    264
    """
    return {
        FILES["postings"]: postings_schema(),
        FILES["profiles"]: profiles_schema(),
        FILES["interactions"]: interactions_schema(),
        FILES["dlq"]: dlq_schema(),
    }


def render(schema: JsonSchema) -> str:
    """The committed text of a schema: stable, readable, Korean kept as is."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def load_schema(family: str) -> JsonSchema:
    """The committed schema of ``family`` (``"postings"``, ..., ``"dlq"``).

    Parameters
    ----------
    family
        A key of :data:`FILES`.

    Examples
    --------
    >>> load_schema("interactions")["required"]
    ['v', 'event_id', 'ts', 'seeker_id', 'posting_id', 'action', 'source']
    """
    text = resources.files("schemas").joinpath("jsonschema", FILES[family]).read_text("utf-8")
    loaded: JsonSchema = json.loads(text)
    return loaded


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schema files, or with ``--check`` report the stale ones."""
    parser = argparse.ArgumentParser(
        prog="python -m schemas.jsonschema_gen",
        description="Generate schemas/jsonschema/*.schema.json from the Python contract.",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is missing or stale"
    )
    args = parser.parse_args(argv)
    stale = []
    for name, schema in generate().items():
        path: Path = args.out / name
        text = render(schema)
        current = path.read_text("utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        print("run `python -m schemas.jsonschema_gen` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
