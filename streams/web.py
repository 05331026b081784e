"""HTTP pages of a worker (Faust's web server): Prometheus ``/metrics`` and ``/health``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest


def register_pages(app: faust.App, health: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """``await health()`` gives a JSON-able dict; HTTP 503 until ``dict["ready"]`` is true.

    ``/metrics?name[]=jobmatch_events_total&name[]=...`` exposes only the named metrics,
    as prometheus_client's own HTTP handler does: a poller that needs one counter does not
    make the worker serialize all of them."""

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            names = request.query.getall("name[]", [])
            registry = REGISTRY.restricted_registry(names) if names else REGISTRY
            # aiohttp refuses a charset inside content_type=, so send it as a header.
            return self.bytes(
                generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
            )

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            state = await health()
            return self.json(state, status=200 if state.get("ready") else 503)
