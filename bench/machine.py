"""Describe the machine and the software a benchmark ran on."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from importlib import metadata
from pathlib import Path

from bench.harness import ROOT, redis_client
from settings import Settings


def describe(settings: Settings) -> dict[str, str]:
    """nproc, CPU model, RAM, OS, Python, Kafka, Redis and client versions, date."""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus (nproc)": str(os.cpu_count()),
        "cpu model": cpu_model(),
        "memory": _mem_total(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "kafka": _kafka_version(),
        "redis": _redis_version(settings),
        "clients": ", ".join(
            f"{name} {_version(name)}"
            for name in ("faust-streaming", "aiokafka", "kafka-python", "redis", "river", "numpy")
        ),
        "services": f"Kafka {settings.kafka_bootstrap}, Redis {settings.redis_url.split('@')[-1]}"
        " (same machine as the worker and the load generator)",
    }


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _mem_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _kafka_version() -> str:
    """The broker's version from the jars ``deploy/kafka`` runs (``kafka-server-X.jar``)."""
    for jar in sorted((ROOT / "deploy" / "kafka" / "libs").glob("kafka-server-*.jar")):
        found = re.match(r"kafka-server-(\d[\w.]*)\.jar$", jar.name)
        if found:
            return f"Apache Kafka {found.group(1)} (KRaft, single node)"
    return "unknown (not the deploy/kafka broker)"


def _redis_version(settings: Settings) -> str:
    try:
        client = redis_client(settings, decode=True)
        try:
            info = client.info("server")
        finally:
            client.close()
        return f"Redis {info.get('redis_version', '?')}"
    except Exception as exc:  # the role may not allow INFO: say so rather than fail
        return f"unknown ({exc.__class__.__name__})"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"
