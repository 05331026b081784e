"""Save a screenshot of a seeker's list in the portal, for the README.

    python -m portal.screenshot http://127.0.0.1:8080/ S000001 --out docs/img/portal.png

Drives Debian's own Chromium through playwright (``executable_path``); it never downloads a
browser. The tests open the browser through :func:`chromium` as well.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, ViewportSize

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium's background connections (updates, sync, QUIC
# probes) hang on a closed network; --no-sandbox because CI runs as root.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT: ViewportSize = {"width": 1100, "height": 900}


@asynccontextmanager
async def chromium(executable: str = CHROMIUM) -> AsyncIterator[BrowserContext]:
    """A headless Chromium context with a fresh user-data directory, closed on exit."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        raise SystemExit(
            "the playwright package is missing: `.venv/bin/pip install playwright` "
            "(no `playwright install`: the system's Chromium is used)"
        ) from None
    if not Path(executable).exists():
        raise SystemExit(f"no Chromium at {executable}: `apt-get install chromium` first")
    with tempfile.TemporaryDirectory(prefix="jobmatch-chromium-") as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                args=list(CHROMIUM_FLAGS),
                headless=True,
                viewport=VIEWPORT,
                locale="ko-KR",
                timezone_id="Asia/Seoul",
            )
            try:
                yield context
            finally:
                await context.close()


def seeker_url(portal_url: str, seeker_id: str, sort: str = "relevance") -> str:
    """The page address of a seeker's list: ``<portal>/#/seeker/S42?sort=wage``."""
    return f"{portal_url.rstrip('/')}/#/seeker/{quote(seeker_id, safe='')}?sort={sort}"


async def take(
    portal_url: str,
    seeker_id: str,
    out: Path,
    *,
    sort: str = "relevance",
    executable: str = CHROMIUM,
) -> None:
    """Open a seeker's list, wait until it is drawn, and save the first screen as a PNG."""
    async with chromium(executable) as context:
        page = await context.new_page()
        await page.goto(seeker_url(portal_url, seeker_id, sort))
        # The list, the "no list yet" note or an error banner: whichever the page draws.
        await page.wait_for_selector(
            "#seeker-list li, #seeker-empty:not([hidden]), #error:not([hidden])",
            timeout=15_000,
        )
        if await page.is_visible("#error"):
            raise SystemExit(f"the portal shows an error: {await page.inner_text('#error')}")
        out.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(out), full_page=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal.screenshot",
        description="Save a PNG of a seeker's list as the portal page shows it.",
    )
    parser.add_argument("portal_url", help="the running portal, e.g. http://127.0.0.1:8080/")
    parser.add_argument("seeker_id", help="a seeker with a list, e.g. S000001")
    parser.add_argument("--out", type=Path, default=Path("docs/img/portal.png"))
    parser.add_argument(
        "--sort", default="relevance", choices=("relevance", "wage", "deadline", "newest")
    )
    parser.add_argument("--chromium", default=CHROMIUM, help=f"browser binary (default {CHROMIUM})")
    args = parser.parse_args(argv)
    try:
        asyncio.run(
            take(
                args.portal_url, args.seeker_id, args.out, sort=args.sort, executable=args.chromium
            )
        )
    except Exception as exc:  # playwright's errors name the page state; show them plainly
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
