"""online_model is pure: no Faust, Kafka, Redis, Prometheus or asyncio, and nothing of
streams/ (the code that moves events imports the model, never the other way round)."""

from __future__ import annotations

import ast
from pathlib import Path

import online_model

FORBIDDEN = ("faust", "aiokafka", "kafka", "redis", "prometheus_client", "asyncio", "streams")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_online_model_imports_no_io_framework_and_nothing_of_streams() -> None:
    root = Path(online_model.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert any(f.parent.name == "live" for f in files), "the live engine is not where expected"
    offending = {
        f"{path.relative_to(root)}: {name}"
        for path in files
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offending
