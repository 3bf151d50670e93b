"""Browser tests: Debian's chromium driven by Playwright (sync API) against pytest-django's live server.

One chromium for all of them (started on first use, stopped after the last); a fresh context
(cookies, storage) per page. Every test in this folder is marked ``browser``: ``make test`` leaves
them out, ``make test-browser`` runs only them. A failing test leaves a full-page screenshot of each
of its pages in ``test-results/`` (gitignored). How to run and debug them: docs/testing.md.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

CHROMIUM = os.environ.get("KAPSTONE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1024, "height": 768}  # a tablet in landscape, as in a dosing room
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
HERE = Path(__file__).resolve().parent
PASSWORD = "correct horse battery staple 42"  # every persona's, as in tests/conftest.py (not importable)

# Every CSP violation also becomes a console error the tests assert on (Chromium logs most of them
# itself; this catches any it only reports as an event). Init scripts are exempt from the page's CSP.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


# --- Marking and reporting --------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before -m selection reads the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    item.stash.setdefault(_REPORTS, {})[report.when] = report


def _failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(_REPORTS, {}).values())


# --- The browser and its pages ------------------------------------------------------------------------


class _Chromium:
    """One browser for all the browser tests, stopped as soon as the last of them is done.

    While Playwright's sync API runs, its event loop counts as running in this thread: Django then
    hands out other connection objects and asgiref's async_to_sync refuses to run. Stopping right
    after the browser tests (not at session end) keeps the tests collected after them unaffected
    when everything runs in one session.
    """

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        if self._browser is None:
            if not Path(CHROMIUM).is_file():
                pytest.fail(
                    f"Browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium), or "
                    "KAPSTONE_CHROMIUM set to its path. They never download a browser.",
                    pytrace=False,
                )
            try:
                from playwright.sync_api import sync_playwright
            except ImportError:
                pytest.fail("Browser tests need playwright: pip install -e '.[test]'", pytrace=False)
            self._playwright = sync_playwright().start()
            try:
                self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            except Exception as exc:
                self.stop()
                pytest.fail(f"Could not start chromium at {CHROMIUM}: {exc}", pytrace=False)
        assert self._browser is not None
        return self._browser

    def stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


_CHROMIUM = _Chromium()


def _is_browser_test(item: pytest.Item | None) -> bool:
    return item is not None and HERE in Path(str(item.path)).resolve().parents


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield  # the test's pages and contexts are closed by now
    if not _is_browser_test(nextitem):
        _CHROMIUM.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _CHROMIUM.stop()


@pytest.fixture
def browser() -> Browser:
    """The shared chromium (started on first use; see _Chromium)."""
    return _CHROMIUM.get()


class Pages:
    """Opens pages, each in a fresh context, and keeps what went wrong in each."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self._browser = browser
        self._base_url = base_url
        self.opened: list[Page] = []
        self.errors: dict[Page, list[str]] = {}

    def open(self) -> Page:
        context = self._browser.new_context(base_url=self._base_url, viewport=VIEWPORT, locale="en-US")
        context.set_default_timeout(10_000)
        context.add_init_script(_CSP_LISTENER)
        page = context.new_page()
        errors: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(f"console.error: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        self.opened.append(page)
        self.errors[page] = errors
        return page

    def close(self, screenshot_prefix: str | None) -> None:
        for number, page in enumerate(self.opened, start=1):
            if screenshot_prefix is not None and not page.is_closed():
                RESULTS_DIR.mkdir(exist_ok=True)
                path = RESULTS_DIR / f"{screenshot_prefix}-{number}.png"
                with contextlib.suppress(Exception):  # a failed screenshot must not hide the test's failure
                    page.screenshot(path=str(path), full_page=True)
            page.context.close()


@pytest.fixture
def pages(browser: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Pages]:
    """Open more pages (a second person in a second context) with ``pages.open()``."""
    opened = Pages(browser, live_server.url)
    yield opened
    prefix = "FAILED-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("tests/browser/")[-1])
    opened.close(prefix if _failed(request.node) else None)


@pytest.fixture
def page(pages: Pages) -> Page:
    """A page in a fresh context at 1024×768, with the live server as its base URL."""
    return pages.open()


@pytest.fixture
def page_errors(pages: Pages) -> Callable[[Page], list[str]]:
    """Console errors, CSP violations and uncaught exceptions seen so far in a page."""
    return lambda page: pages.errors[page]


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save what the page shows now to test-results/<name>.png (for people to look at)."""

    def take(page: Page, name: str) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


# --- Signing in ---------------------------------------------------------------------------------------


@pytest.fixture
def enrol_totp(live_server: Any) -> Callable[[Any], str]:
    """Give a person a confirmed authenticator; returns the secret the test computes codes from."""

    def enrol(user: Any) -> str:
        import pyotp
        from django.utils import timezone

        from kapstone.accounts.models import TOTPDevice

        secret = pyotp.random_base32()
        TOTPDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
        return secret

    return enrol


@pytest.fixture
def sign_in(enrol_totp: Callable[[Any], str]) -> Callable[[Page, Any], None]:
    """Sign a person in (password, then a code from their authenticator); ends on the dashboard."""
    from playwright.sync_api import expect

    secrets: dict[int, str] = {}

    def sign_in_as(page: Page, user: Any) -> None:
        import pyotp

        if user.pk not in secrets:
            secrets[user.pk] = enrol_totp(user)
        page.goto("/accounts/sign-in/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        expect(page).to_have_url(re.compile(r"/accounts/sign-in/verify/$"))
        code = page.get_by_label("Code from your authenticator app")
        code.fill(pyotp.TOTP(secrets[user.pk]).now())
        code.press("Enter")
        expect(page).to_have_url(re.compile(r"/dashboard/$"))

    return sign_in_as


@pytest.fixture
def signed_in(live_server: Any) -> Callable[[Page, Any], None]:
    """Give a page the session a person has after password + second factor, without the forms.

    For tests about what comes after signing in; test_sign_in_e2e drives the real forms.
    """
    from django.conf import settings
    from django.test import Client as HttpClient

    from kapstone.accounts.models import UserSession
    from kapstone.accounts.services import AUTH_AT, SEEN_AT

    def sign(page: Page, user: Any) -> None:
        import time

        http = HttpClient()
        http.force_login(user)
        session = http.session
        session[AUTH_AT] = session[SEEN_AT] = time.time()
        session.save()
        key = session.session_key or ""
        UserSession.objects.create(user=user, session_key=key)  # as complete_sign_in does
        cookie = {"name": settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}
        page.context.add_cookies([cookie])  # type: ignore[list-item]

    return sign
