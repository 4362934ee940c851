"""Browser tests: Playwright's sync API driving Debian's Chromium against ``live_server``.

Every test here is marked ``@pytest.mark.browser``; ``make test`` runs them in a pytest
process of their own (``-m browser``). Playwright never downloads a browser here: it
drives ``/usr/bin/chromium`` (``scripts/ensure-system-packages`` installs it), or the
binary named by ``REGULARS_CHROMIUM``. Without it these tests fail; they are never
skipped.

A failing test leaves a full-page screenshot and the page's HTML in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import PASSWORD

CHROMIUM = Path(os.environ.get("REGULARS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Short enough that a missing element fails fast, long enough for a loaded CI machine.
TIMEOUT_MS = 15_000

SignIn = Callable[..., Page]


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_calls_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running in this thread, which makes
    Django refuse ORM calls from the test (SynchronousOnlyOperation). The ORM calls made
    here are plain synchronous ones, so tell Django they are safe, for these tests only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}, which is missing. Install it "
            "with `apt-get install chromium` (make test does this when run as root) or set "
            "REGULARS_CHROMIUM to a Chromium binary.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the live server, in English."""
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("mark this test @pytest.mark.browser: make test runs it with -m browser")
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        timezone_id="Europe/Rome",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    new_page = context.new_page()
    yield new_page
    context.close()


@pytest.fixture
def sign_in(page: Page, world: Any) -> SignIn:
    """Sign a persona in through the login form; returns the page where it landed."""

    def do_sign_in(username: str, password: str = PASSWORD) -> Page:
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("form:has(#id_password) [type=submit]").click()
        page.wait_for_load_state()
        return page

    return do_sign_in


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On failure, keep what the browser showed: a screenshot and the HTML."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        shown = getattr(item, "funcargs", {}).get("page")
        if isinstance(shown, Page) and not shown.is_closed():
            saved = _save_artifacts(shown, item.nodeid)
            report.sections.append(("browser artifacts", saved))
    return report


def _save_artifacts(page: Page, nodeid: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.removeprefix("tests/browser/"))
    try:
        page.screenshot(path=f"{stem}.png", full_page=True)
        Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except PlaywrightError as exc:  # the report must still show the test's own failure
        return f"could not save a screenshot: {exc}"
    return f"at {page.url}\nscreenshot: {stem}.png\nhtml: {stem}.html"
