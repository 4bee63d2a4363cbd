"""Playwright driving Debian's Chromium (/usr/bin/chromium) against the live test server.

Never `playwright install`: the browser comes from Debian's package, which
.ci/run installs. Without it the browser tests skip (or fail under
BACKSTEP_REQUIRE_SERVICES=1).
"""

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import require_service

# Playwright's sync API runs an event loop in this thread; the ORM calls made by
# fixtures in the same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


class OneRequestAtATime:
    """The live server's WSGI app, answering one request at a time (body included).

    On in-memory SQLite the live server's threads share the test's one connection, and two requests at once
    break each other's savepoints. The phone's service worker fetches the pages it keeps in the background while
    the page itself loads, so on SQLite requests are serialised; on PostgreSQL each thread has its own connection
    and requests run side by side, as in production.
    """

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


@pytest.fixture(scope="session", autouse=True)
def _serial_live_server_on_sqlite():
    """Before pytest-django's live_server starts: wrap its app when it shares an in-memory SQLite connection."""
    from django.test.testcases import LiveServerThread

    original = LiveServerThread._create_server

    def create_server(self, connections_override=None):
        server = original(self, connections_override=connections_override)
        if connections_override:
            set_app = server.set_app
            server.set_app = lambda app: set_app(OneRequestAtATime(app))
        return server

    LiveServerThread._create_server = create_server
    yield
    LiveServerThread._create_server = original


@pytest.fixture(scope="session")
def chromium():
    require_service(Path(CHROMIUM).exists() or bool(shutil.which("chromium")),
                    f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extra not installed
        require_service(False, "the playwright Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class PageWatch:
    """Console errors and requests to hosts other than the live server, seen during a test."""

    def __init__(self, server_url: str):
        self.host = urlparse(server_url).netloc
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []

    def on_console(self, message):
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_request(self, request):
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https") and parsed.netloc != self.host:
            self.foreign_requests.append(request.url)


@pytest.fixture
def open_page(chromium, live_server):
    """open_page(width, height, javascript=True) -> (page, watch); the page has the live server as base URL.

    javascript=False is a browser with scripts switched off: pages that must work without them are checked so.
    """
    contexts = []

    def open_(width: int = 1280, height: int = 800, javascript: bool = True):
        context = chromium.new_context(viewport={"width": width, "height": height}, base_url=live_server.url,
                                       java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(live_server.url)
        page.on("console", watch.on_console)
        page.on("pageerror", lambda error: watch.console_errors.append(str(error)))
        page.on("request", watch.on_request)
        return page, watch

    yield open_
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def has_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def serious_axe_violations(page) -> list[dict]:
    """Run axe-core (from npm, node_modules) on the page; return its serious and critical violations."""
    require_service(AXE.exists(), f"axe-core not installed at {AXE} (npm ci)")
    # Evaluated through DevTools, which the page's Content-Security-Policy does not govern;
    # add_script_tag would insert an inline <script> that the CSP (rightly) blocks.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => (await axe.run(document)).violations"
                           ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def check_page(page, watch, name, width):
    """Every page: no sideways scroll, no console error, nothing from another host, no serious axe issue."""
    assert not has_horizontal_scroll(page), f"{name} scrolls sideways at {width}px"
    assert watch.console_errors == [], watch.console_errors
    assert watch.foreign_requests == [], watch.foreign_requests
    serious = serious_axe_violations(page)
    assert serious == [], f"{name}: {serious}"
    screenshot(page, f"{name}-{width}")


