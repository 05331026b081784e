"""The portal page in a real headless Chromium (Debian's), driven by playwright.

Every wait is for a condition on the page (a selector or a JS predicate) with a deadline;
the page polls the server every 500 ms here (``?poll=500``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from playwright.async_api import Page

from portal.screenshot import chromium, take
from portal.server import RunningPortal, start
from settings import Settings
from tests.portal.conftest import (
    MISSING,
    Seeded,
    expected_wage_order,
    write_posting,
    write_seeker_list,
)

pytestmark = pytest.mark.integration
# The bound of one wait, not a speed target: Chromium on a busy machine can be slow.
WAIT_MS = 60_000


async def _shown_order(page: Page, selector: str = "#seeker-list li.posting") -> list[str]:
    return await page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.postingId)")


async def _wait_for_order(page: Page, expected: list[str]) -> None:
    await page.wait_for_function(
        """expected => JSON.stringify([...document.querySelectorAll('#seeker-list li.posting')]
                           .map(e => e.dataset.postingId)) === JSON.stringify(expected)""",
        arg=expected,
        timeout=WAIT_MS,
    )


async def test_seeker_list_sort_employer_view_and_live_update(
    portal: RunningPortal, seeded: Seeded, redis_worker: redis.Redis, screenshots: Path
) -> None:
    async with chromium() as context:
        page = await context.new_page()
        # Script errors, CSP violations and bad input patterns all show up on the console.
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(f"{portal.url}?poll=500")

        # The start page offers seekers that have lists; the search box opens one.
        await page.wait_for_selector("#seeker-samples a.sample", timeout=WAIT_MS)
        assert await page.locator("#seeker-samples a.sample").all_inner_texts() == [
            "S1",
            "S2",
            "S3",
        ]
        await page.fill("#seeker-input", "S1")
        await page.press("#seeker-input", "Enter")

        # The list, by relevance, with display fields and reasons.
        await _wait_for_order(page, seeded.ranked)
        assert page.url.endswith("#/seeker/S1")
        first = page.locator("#seeker-list li.posting").first
        fields = seeded.displays[seeded.ranked[0]]
        assert await first.locator(".title").inner_text() == fields["title"]
        assert fields["employer_name"] in await first.locator(".employer").inner_text()
        wage = await first.locator(".wage").inner_text()
        assert wage.startswith("연봉 ") and "월 환산" in wage
        assert (
            await first.locator(".reasons li").all_inner_texts() == seeded.reasons[seeded.ranked[0]]
        )
        assert await page.locator('li[data-posting-id="PN1"] .wage').inner_text() == "임금 협의"
        assert (
            await page.locator('li[data-posting-id="PD1"] .deadline').inner_text() == "채용시까지"
        )
        missing = page.locator(f'li[data-posting-id="{MISSING}"]')
        assert MISSING in await missing.locator(".title").inner_text()
        assert await missing.locator(".facts").count() == 0  # no made-up "협의" or deadline
        assert "모델 7" in await page.inner_text("#seeker-meta")
        await page.screenshot(path=str(screenshots / "1-seeker-relevance.png"), full_page=True)

        # Change the sort: the order changes to the wage order.
        await page.select_option("#sort", "wage")
        wage_order = expected_wage_order(seeded)
        assert wage_order != seeded.ranked
        await _wait_for_order(page, wage_order)
        assert "#/seeker/S1?sort=wage" in page.url
        await page.screenshot(path=str(screenshots / "2-seeker-wage.png"), full_page=True)

        # Employer view of the top posting: its candidates, best first.
        await page.select_option("#sort", "relevance")
        await _wait_for_order(page, seeded.ranked)
        await first.locator("a.candidates-link").click()
        await page.wait_for_selector("#employer-view:not([hidden]) li.candidate", timeout=WAIT_MS)
        shown = await page.eval_on_selector_all(
            "#candidate-list li.candidate", "els => els.map(e => e.dataset.seekerId)"
        )
        assert shown == ["S1", "S2", "S3"]
        assert await page.inner_text("#posting-card .title") == fields["title"]
        await page.screenshot(path=str(screenshots / "3-employer-view.png"), full_page=True)

        # Back to the seeker, then the worker replaces the list: the page follows by itself.
        await page.locator('#candidate-list a:has-text("S1")').click()
        await _wait_for_order(page, seeded.ranked)
        prefix = seeded.settings.key_prefix
        write_posting(
            redis_worker,
            prefix,
            "PNEW",
            {"title": "신규 공고: 지게차 운전원", "wage_type": "monthly", "wage_min": "3000000"},
        )
        new_ranked = ["PNEW", *seeded.ranked[1:]]  # the old top posting closed
        scores = {pid: 1.0 - i / 100 for i, pid in enumerate(new_ranked)}
        write_seeker_list(
            redis_worker,
            prefix,
            "S1",
            scores,
            {"PNEW": ["방금 등록"]},
            updated_at=2,
            model_version="8",
        )
        await _wait_for_order(page, new_ranked)
        assert (
            await page.locator('li[data-posting-id="PNEW"] .reasons li').inner_text() == "방금 등록"
        )
        assert "모델 8" in await page.inner_text("#seeker-meta")
        await page.screenshot(path=str(screenshots / "4-seeker-updated.png"), full_page=True)
        assert problems == []


async def test_redis_down_shows_an_error_on_the_page(
    redis_down_settings: Settings, screenshots: Path
) -> None:
    running = await start(redis_down_settings, host="127.0.0.1", port=0)
    try:
        async with chromium() as context:
            page = await context.new_page()
            await page.goto(f"{running.url}#/seeker/S1")
            banner = page.locator("#error")
            await banner.wait_for(state="visible", timeout=WAIT_MS)
            text = await banner.inner_text()
            assert text.startswith("Redis를 읽을 수 없습니다")
            assert "make up" in text
            await page.screenshot(path=str(screenshots / "5-redis-down.png"))
    finally:
        await running.stop()


async def test_screenshot_command_saves_a_png(portal: RunningPortal, screenshots: Path) -> None:
    out = screenshots / "screenshot-command.png"
    out.unlink(missing_ok=True)
    await take(portal.url, "S1", out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
