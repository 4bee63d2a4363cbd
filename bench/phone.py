"""The patient's phone in a real browser: bytes and paint times of today's page on a slow mobile network.

Production settings (DJANGO_ENV=production: DEBUG off, the hashed and compressed
static files collected by WhiteNoise's storage and served by WhiteNoise) under
gunicorn; Debian's Chromium driven by Playwright, its network throttled through
DevTools (Network.emulateNetworkConditions: 150 ms round trip, 1.6 Mbit/s down,
750 kbit/s up). Figures, each run in a fresh browser profile:

- phone_first_kib: bytes transferred (compressed, headers included) for the first visit of /today/ until
  its load event, nothing cached;
- phone_first_lcp_ms: largest contentful paint of that visit;
- phone_repeat_kib: bytes transferred when the same phone opens /today/ again (the service worker installed);
- phone_offline_ms: largest contentful paint of /today/ opened with no network (from the phone's cache);
- phone_install_kib (no budget): what the service worker fetched in the background after the first visit
  (this release's static files, and the four phone pages it keeps).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings

from bench.load import BenchError, Gunicorn, database_env

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The flags of the browser tests (tests/browser/conftest.py).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
HOST = "localhost"  # a secure context over plain HTTP: service workers and Secure cookies work
THROTTLE = {"offline": False, "latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 93_750}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
PHONE_FIGURES = ("phone_first_kib", "phone_first_lcp_ms", "phone_repeat_kib", "phone_offline_ms",
                 "phone_install_kib")

LCP_JS = """() => new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({ type: 'largest-contentful-paint', buffered: true });
  setTimeout(() => resolve(-1), 5000);
})"""
WORKER_READY_JS = """async () => {
  if (!navigator.serviceWorker.controller) { return false; }
  const names = (await caches.keys()).filter((n) => n.startsWith('backstep-pages-'));
  return names.length === 1 && (await (await caches.open(names[0])).keys()).length === 4;
}"""


def production_env() -> dict[str, str]:
    """The environment of the production server: same database and SECRET_KEY (the bench's sessions stay valid)."""
    env = database_env()
    env.update({"DJANGO_ENV": "production", "DEBUG": "false", "SECRET_KEY": settings.SECRET_KEY,
                "ALLOWED_HOSTS": f"{HOST},127.0.0.1", "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0"})
    return env


def collect_production_static() -> None:
    """Hashed, compressed static files, as a production deploy collects them (needs `npm run build` first)."""
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                            cwd=settings.BASE_DIR, env=production_env(), capture_output=True, text=True)
    if result.returncode:
        raise BenchError("collectstatic in production settings failed (run `make assets`):\n" + result.stderr[-2000:])


@dataclass
class Transfer:
    """Bytes over the network seen by a browser context: its pages' and its service worker's requests."""

    finished: list = field(default_factory=list)

    def on_finished(self, request) -> None:
        self.finished.append(request)  # read after the fact: no Playwright call inside an event handler

    def take(self) -> float:
        """KiB transferred since the last take."""
        total = 0
        for request in self.finished:
            response = request.response() if request.service_worker is None else None
            if response is not None and response.from_service_worker:
                continue  # answered by the worker: counted when (and if) the worker fetched it
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"] + sizes["requestHeadersSize"]
        self.finished = []
        return total / 1024


def available() -> str | None:
    """Why the phone figures cannot be measured here, or None."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def one_phone(browser, base_url: str, session_key: str) -> dict[str, float]:
    """First visit, repeat visit and offline opening of /today/ on one fresh phone."""
    context = browser.new_context(base_url=base_url, **PHONE)
    try:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": base_url}])
        transfer = Transfer()
        context.on("requestfinished", transfer.on_finished)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", THROTTLE)
        page.goto("/today/", wait_until="load")
        figures = {"phone_first_lcp_ms": page.evaluate(LCP_JS), "phone_first_kib": transfer.take()}
        deadline = time.monotonic() + 60
        while not page.evaluate(WORKER_READY_JS):
            if time.monotonic() > deadline:
                raise BenchError("the service worker did not keep the phone pages within 60 s")
            page.wait_for_timeout(200)
        page.wait_for_timeout(500)
        figures["phone_install_kib"] = transfer.take()
        page.goto("/today/", wait_until="load")
        page.wait_for_timeout(500)  # anything the page still asks for after load counts
        figures["phone_repeat_kib"] = transfer.take()
        context.set_offline(True)
        page.reload(wait_until="load")
        if page.locator(".bs-offline").is_hidden():
            raise BenchError("offline, /today/ did not come from the phone's cache")
        figures["phone_offline_ms"] = page.evaluate(LCP_JS)
        return figures
    finally:
        context.close()


def measure(session_key: str, runs: int, say) -> dict[str, list[float]]:
    """Each figure over `runs` fresh phones (after one warm-up phone), against a production gunicorn.

    Playwright's sync API refuses to start in a thread that already runs an asyncio loop (the browser tests'
    Chromium, in the same pytest session as the bench smoke test), so the phones run in a thread of their own.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-phone") as pool:
        return pool.submit(_measure, session_key, runs, say).result()


def _measure(session_key: str, runs: int, say) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    collect_production_static()
    values: dict[str, list[float]] = {name: [] for name in PHONE_FIGURES}
    with Gunicorn(workers=2, env=production_env()) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            base_url = f"http://{HOST}:{server.port}"
            for run in range(runs + 1):
                figures = one_phone(browser, base_url, session_key)
                say("  phone " + ("warm-up" if not run else f"run {run}") + ": " + ", ".join(
                    f"{name} {value:.1f}" for name, value in figures.items()))
                if run:
                    for name, value in figures.items():
                        values[name].append(round(value, 2))
        finally:
            browser.close()
    return values
