"""The pipeline tests drive real ``jobmatch worker`` processes with the benchmarks' helper."""

from bench.harness import wait_for
from bench.worker import WorkerProcess

__all__ = ["WorkerProcess", "wait_for"]
