"""Fixtures of the deployment tests: the real Prometheus server (see prometheus_server.py)."""

from __future__ import annotations

from tests.deploy.prometheus_server import prometheus_server

__all__ = ["prometheus_server"]
