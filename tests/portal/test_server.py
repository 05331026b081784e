"""The portal's JSON API and static files over HTTP, against the real Redis."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any

import aiohttp
import pytest

from portal.redis_reader import PortalReader
from portal.server import RunningPortal, start
from settings import Settings
from tests.portal.conftest import MISSING, REPO, Seeded, closed_port, expected_wage_order

pytestmark = pytest.mark.integration


async def _get(url: str) -> tuple[int, dict[str, str], Any]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, dict(response.headers), body


async def test_seeker_list_json(portal: RunningPortal, seeded: Seeded) -> None:
    status, headers, body = await _get(f"{portal.url}api/seekers/S1")
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert body["sort"] == "relevance"
    assert [i["posting_id"] for i in body["items"]] == seeded.ranked
    first = body["items"][0]
    fields = seeded.displays[first["posting_id"]]
    assert first["posting"]["title"] == fields["title"]
    assert first["posting"]["wage"]["type"] == "annual"
    assert first["posting"]["wage"]["monthly"] == pytest.approx(int(fields["wage_min"]) / 12)
    assert first["reasons"] == seeded.reasons[first["posting_id"]]
    missing = next(i for i in body["items"] if i["posting_id"] == MISSING)
    assert missing["posting"]["found"] is False


@pytest.mark.parametrize("sort", ["wage", "deadline", "newest"])
async def test_sorted_seeker_list(portal: RunningPortal, seeded: Seeded, sort: str) -> None:
    status, _, body = await _get(f"{portal.url}api/seekers/S1?sort={sort}")
    assert status == 200
    order = [i["posting_id"] for i in body["items"]]
    assert sorted(order) == sorted(seeded.ranked)
    assert order != seeded.ranked  # the fixture is built so every sort changes the order
    if sort == "wage":
        assert order == expected_wage_order(seeded)
    elif sort == "deadline":
        deadlines = [i["posting"]["deadline"] for i in body["items"]]
        dated = [d for d in deadlines if d]
        assert deadlines[: len(dated)] == sorted(dated)  # soonest first, 채용시까지 last
    else:
        posted = [i["posting"]["posted_at"] for i in body["items"] if i["posting"]["posted_at"]]
        assert posted == sorted(posted, reverse=True)


async def test_posting_candidates_and_samples(portal: RunningPortal, seeded: Seeded) -> None:
    status, _, body = await _get(f"{portal.url}api/postings/{seeded.ranked[0]}")
    assert status == 200
    assert [c["seeker_id"] for c in body["candidates"]] == ["S1", "S2", "S3"]
    assert body["posting"]["title"] == seeded.displays[seeded.ranked[0]]["title"]
    status, _, body = await _get(f"{portal.url}api/seekers?limit=100")
    assert status == 200
    assert body["seekers"] == ["S1", "S2", "S3"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("api/seekers/S1?sort=salary", "sort: expected one of relevance, wage, deadline, newest"),
        ("api/seekers/S%2A1", "seeker_id: expected 1-64 characters"),
        ("api/postings/P1?limit=0", "limit: expected an integer from 1 to 1000"),
    ],
)
async def test_bad_requests_say_what_is_expected(
    portal: RunningPortal, path: str, message: str
) -> None:
    status, _, body = await _get(portal.url + path)
    assert status == 400
    assert message in body["error"]


async def test_page_and_static_files_are_served(portal: RunningPortal) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(portal.url) as response:
            assert response.status == 200
            html = await response.text()
            assert "jobmatch 추천 포털" in html
            assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        for name in ("app.js", "style.css"):
            async with session.get(f"{portal.url}static/{name}") as response:
                assert response.status == 200, name


async def test_redis_outage_gives_503_and_one_log_line_each_way(
    redis_down_settings: Settings, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    running = await start(redis_down_settings, host="127.0.0.1", port=0)
    try:
        with caplog.at_level(logging.WARNING, logger="jobmatch.portal"):
            for path in ("api/seekers/S1", "api/seekers", "healthz", "api/seekers/S1"):
                status, _, body = await _get(running.url + path)
                assert status == 503, path
                assert "run `make up` first" in body["error"]
            # Redis "comes back": the reader now reaches the real server.
            down_client = running.reader.client
            running.reader.client = PortalReader.connect(seeded.settings).client
            await down_client.aclose()
            for _ in range(2):
                status, _, _ = await _get(f"{running.url}api/seekers/S1")
                assert status == 200
        # One line when the outage starts and one when it ends, however often the page polls.
        lines = [r.getMessage() for r in caplog.records if r.name == "jobmatch.portal"]
        assert len(lines) == 2, lines
        assert "cannot read Redis" in lines[0]
        assert "reads Redis again" in lines[1]
    finally:
        await running.stop()


@pytest.mark.parametrize(
    ("stop_signal", "exit_code"),
    [(signal.SIGTERM, 0), (signal.SIGINT, 130)],
    ids=["SIGTERM", "SIGINT-like-ctrl-c"],
)
async def test_cli_serves_until_stopped(
    seeded: Seeded, stop_signal: signal.Signals, exit_code: int
) -> None:
    port = closed_port()
    env = {**os.environ, "JOBMATCH_KEY_PREFIX": seeded.settings.key_prefix}
    command = "import sys; from cli import main; sys.exit(main(sys.argv[1:]))"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", command, "portal", "--port", str(port),
        cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        # Await the server coming up (a deadline, no fixed sleep; generous: a busy machine
        # may take many seconds to start Python and import the portal).
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            try:
                status, _, body = await _get(f"http://127.0.0.1:{port}/api/seekers/S1")
                break
            except aiohttp.ClientConnectionError:
                assert process.returncode is None, "jobmatch portal exited early"
                assert asyncio.get_running_loop().time() < deadline, "portal did not start"
                await asyncio.sleep(0.1)
        assert status == 200
        assert [i["posting_id"] for i in body["items"]] == seeded.ranked
        process.send_signal(stop_signal)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == exit_code, output.decode()
    assert f"portal at http://127.0.0.1:{port}/" in output.decode()
