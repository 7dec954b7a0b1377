"""Browser fixtures: Playwright driving Debian's Chromium against Django's live server.

Tests that use ``page`` or ``phone`` are marked ``browser``. Screenshots go to
``test-artifacts/`` (git-ignored) — look at them after a change to a screen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, Plant, require_service

CHROMIUM = os.environ.get("GONGDAN_CHROMIUM", "/usr/bin/chromium")
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
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_service("Chromium", os.path.exists(CHROMIUM), "make browser-deps")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture
def live_plant(transactional_db: None) -> Plant:
    """The fixture plant, committed, so the live server's threads see it."""
    return Plant()


def _context(browser: Any, live_server: Any, viewport: dict[str, int], **kwargs: Any) -> Any:
    context = browser.new_context(
        viewport=viewport,
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **kwargs,
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A desktop-sized page (1366×900)."""
    context = _context(browser, live_server, DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A phone-sized page (390×844, touch), as the front line holds it."""
    context = _context(
        browser, live_server, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield context.new_page()
    context.close()


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], button.primary")
    page.wait_for_load_state("networkidle")


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
