"""Shared pieces of the browser tests: Debian's headless chromium, logging in, screenshots.

Strategy: each test opens its own browser through `chromium()` and one context per user
through `login()`, so that an agent and a supervisor can share a test without sharing
cookies. JavaScript errors on a page are collected and fail the test (`assert_no_js_errors`).
Playwright's own browser download does not work offline, so the system chromium is used; where
it is missing the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

try:
    from playwright.async_api import async_playwright, expect
except ImportError:  # reported by chromium(): a skip, or a failure under CI=true
    async_playwright = expect = None

__all__ = ["expect"]

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000
_ERRORS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI=true the browser tests must run")
    pytest.skip(reason)


def chromium_path() -> str:
    """The system chromium; skips the test (fails it under CI=true) when it is missing."""
    path = shutil.which("chromium")
    if path is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless chromium, closed afterwards."""
    path = chromium_path()
    if async_playwright is None:
        _unavailable("the playwright package is not installed (pip install playwright)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def login(
    browser: Browser,
    base_url: str,
    credentials: tuple[str, str],
    *,
    viewport: tuple[int, int] = (1440, 1000),
    timezone_id: str | None = None,
    locale: str | None = None,
) -> Page:
    """A page in a fresh context, logged in through the login form.

    `viewport` is (width, height); `timezone_id` and `locale` set the browser's (e.g. a
    desk abroad: "America/New_York", "en-GB"), by default the machine's.
    """
    width, height = viewport
    context = await browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": height},
        accept_downloads=True,
        timezone_id=timezone_id,
        locale=locale,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    errors = _ERRORS.setdefault(page, [])
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    # API failures (a 401 before login, a 409 shown to the user) are part of the flow; a
    # failed page asset is not.
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and "/api/" not in response.url
            and errors.append(f"{response.status} {response.url}")
        ),
    )
    await page.goto("/")
    username, password = credentials
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: not url.rstrip("/").endswith(base_url.rstrip("/")))
    return page


def assert_no_js_errors(page: Page) -> None:
    """No uncaught exception happened on the page and every asset loaded."""
    errors = _ERRORS.get(page, [])
    assert errors == [], errors


async def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot to tests/browser/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def go_ready(page: Page) -> None:
    """On the agent desktop: log in to the queues if needed, then Ready by its shortcut.

    A call already waiting rings at once, so Ringing counts as ready too.
    """
    state = page.locator("#state")
    await expect(page.locator("#connection")).to_have_text("Live")
    log_in = page.get_by_role("button", name="Log in", exact=True)
    if await log_in.is_enabled():
        await log_in.click()
        await expect(state).not_to_have_text("Logged out")
    await page.keyboard.press("Alt+r")
    await expect(state).to_have_text(re.compile(r"^(Ready|Ringing)$"))
