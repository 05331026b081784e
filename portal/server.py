"""The reference portal: a static page and a small JSON API over :class:`PortalReader`.

Routes (docs/portal.md has the full JSON):

- ``GET /``: the page (``static/index.html``, plain HTML/CSS/JS).
- ``GET /api/seekers``: a sample of seeker ids that have a list.
- ``GET /api/seekers/{seeker_id}?sort=relevance|wage|deadline|newest``: a seeker's list.
- ``GET /api/postings``: a sample of posting ids that have candidates.
- ``GET /api/postings/{posting_id}``: a posting and its candidates (employers' view).
- ``GET /healthz``: 200 when Redis answers, else 503.

When Redis cannot be read every API route answers 503 with ``{"error": "..."}``; the log
says so once per outage, not once per poll.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from portal.listing import SORTS
from portal.redis_reader import ID_PATTERN, PortalReader, RedisUnavailable
from settings import Settings

log = logging.getLogger("jobmatch.portal")

STATIC_DIR = Path(str(resources.files("portal") / "static"))


@dataclass
class _RedisState:
    """Whether the last read failed, so the log reports an outage once, not every poll."""

    down: bool = False


READER = web.AppKey("reader", PortalReader)
REDIS_STATE = web.AppKey("redis_state", _RedisState)
# Paths whose success proves Redis answers again (a static file proves nothing).
_READS_REDIS = ("/api/", "/healthz")
# The page loads only its own files; it never runs inline script or talks to other hosts.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", charset="utf-8"
    )


def _error(message: str, status: int) -> web.Response:
    return _json({"error": message}, status=status)


class _BadRequest(Exception):
    """A query the API cannot answer; the message names the parameter and what it expects."""


def _checked_id(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if not ID_PATTERN.fullmatch(value):
        raise _BadRequest(f"{name}: expected 1-64 characters of A-Z a-z 0-9 _ . -, got {value!r}")
    return value


def _limit(request: web.Request, default: int, most: int) -> int:
    raw = request.query.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise _BadRequest(f"limit: expected an integer from 1 to {most}, got {raw!r}")
    return int(raw)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[REDIS_STATE]
    try:
        response = await handler(request)
    except _BadRequest as exc:
        return _error(str(exc), 400)
    except RedisUnavailable as exc:
        if not state.down:
            log.error("portal cannot read Redis: %s", exc)
        state.down = True
        return _error(str(exc), 503)
    if state.down and request.path.startswith(_READS_REDIS):
        state.down = False
        log.warning("portal reads Redis again")
    return response


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.update(_SECURITY_HEADERS)
    # Polling must always see the live list, never a cached one.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def _seeker_sample(request: web.Request) -> web.Response:
    ids = await request.app[READER].sample_seekers(limit=_limit(request, 12, 100))
    return _json({"seekers": ids})


async def _seeker_list(request: web.Request) -> web.Response:
    seeker_id = _checked_id(request, "seeker_id")
    sort = request.query.get("sort", SORTS[0])
    if sort not in SORTS:
        raise _BadRequest(f"sort: expected one of {', '.join(SORTS)}, got {sort!r}")
    seeker_list = await request.app[READER].seeker_list(seeker_id)
    return _json(seeker_list.to_json(sort))


async def _posting_sample(request: web.Request) -> web.Response:
    ids = await request.app[READER].sample_postings(limit=_limit(request, 12, 100))
    return _json({"postings": ids})


async def _posting_candidates(request: web.Request) -> web.Response:
    posting_id = _checked_id(request, "posting_id")
    limit = _limit(request, 100, 1000)
    found = await request.app[READER].posting_candidates(posting_id, limit=limit)
    return _json(found.to_json())


async def _healthz(request: web.Request) -> web.Response:
    await request.app[READER].ping()
    return _json({"redis": "ok"})


def create_app(reader: PortalReader) -> web.Application:
    """The aiohttp application; the caller owns ``reader`` and closes it."""
    app = web.Application(middlewares=[_security_headers, _errors])
    app[READER] = reader
    app[REDIS_STATE] = _RedisState()
    app.router.add_get("/", _index)
    app.router.add_get("/api/seekers", _seeker_sample)
    app.router.add_get("/api/seekers/{seeker_id}", _seeker_list)
    app.router.add_get("/api/postings", _posting_sample)
    app.router.add_get("/api/postings/{posting_id}", _posting_candidates)
    app.router.add_get("/healthz", _healthz)
    app.router.add_static("/static/", STATIC_DIR)
    return app


@dataclass
class RunningPortal:
    """A started portal: its URL, and :meth:`stop` to shut it down."""

    url: str
    runner: web.AppRunner
    reader: PortalReader

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.reader.aclose()


async def start(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080) -> RunningPortal:
    """Serve the portal in the running event loop; ``port=0`` picks a free port."""
    reader = PortalReader.connect(settings)
    runner = web.AppRunner(create_app(reader), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        await reader.aclose()
        raise OSError(
            f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port"
        ) from exc
    bound_port = runner.addresses[0][1]
    return RunningPortal(url=f"http://{host}:{bound_port}/", runner=runner, reader=reader)


async def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the portal until SIGTERM, SIGINT (Ctrl-C, then ``KeyboardInterrupt``) or
    cancellation; says at start if Redis is down.

    Both signals are handled from before the first request to the end: a signal that
    arrives while the portal is starting or still asking Redis whether it answers stops
    it as well, instead of racing a handler installed later."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    interrupted = False

    def on_sigint() -> None:
        nonlocal interrupted
        interrupted = True
        stopping.set()

    # A supervisor (make demo, systemd) stops it with SIGTERM: close the sockets cleanly.
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        portal = await start(settings, host=host, port=port)
        log.info("portal at %s (Redis key prefix %r)", portal.url, settings.key_prefix)
        check = asyncio.ensure_future(_say_if_redis_is_down(portal.reader))
        try:
            await stopping.wait()
        finally:
            check.cancel()
            await portal.stop()
            log.info("portal stopped")
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        loop.remove_signal_handler(signal.SIGINT)
    if interrupted:
        raise KeyboardInterrupt


async def _say_if_redis_is_down(reader: PortalReader) -> None:
    try:
        await reader.ping()
    except RedisUnavailable as exc:
        log.error("portal started, but cannot read Redis yet: %s", exc)
