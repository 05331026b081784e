"""The fault suite (`make faults`): scenarios that stop, restart and break the services
while events flow, each against the real Kafka and Redis.

They run on services of their own (`make faults` starts a broker and a Redis on other
ports, under .run/faults), so stopping them never disturbs `make up`'s services or another
test run. The pipeline fixtures (workers, producer, reader) are shared with
tests/streams/pipeline.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.streams.pipeline.conftest import producer, reader, start_worker

__all__ = ["producer", "reader", "start_worker"]

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    run_dir = os.environ.get("JOBMATCH_RUN_DIR", "")
    if not run_dir or Path(run_dir).resolve() == (ROOT / ".run").resolve():
        raise pytest.UsageError(
            "the fault suite stops and breaks its services: run it with `make faults`, which "
            "starts a broker and a Redis of its own (JOBMATCH_RUN_DIR=.run/faults)"
        )


def service(name: str, action: str) -> None:
    """Run deploy/<name>/<action>.sh on the suite's own services."""
    subprocess.run([str(ROOT / "deploy" / name / f"{action}.sh")], check=True, timeout=120)
