"""The phone app's service worker: what it precaches, which pages it keeps, and the script /sw.js serves.

The worker's code is pwa/sw.js (bundled from pinned Workbox modules by
scripts/build-assets.mjs into the static file pwa/sw-bundle.js). /sw.js is a
small script written here: it hands the bundle this release's configuration
(static files to precache, the page allowlist, the sign-out URL) and imports it.
Every static URL carries its release (the hashed names of the manifest storage in
production; a content hash otherwise), so a new release changes /sw.js and the
browser installs the new worker, which replaces the old files in one step.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation

from clinic.js_catalog import catalog_url

# The only pages the worker keeps for offline use: the patient's own phone pages.
# Staff pages, /api/ and every other answer are never cached.
OFFLINE_PAGES = ("patients:today", "patients:log-session", "patients:checkin", "patients:history")

# The static files those pages load (patients/templates and base.html), precached at install.
PRECACHED_STATIC = (
    "vendor/bootstrap/bootstrap.patient.min.css",
    "css/backstep.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "js/outbox.js",
    "js/pwa.js",
    "js/log-session.js",
    "js/chart-dates.js",
    "js/history-chart.js",
    "vendor/chartjs/chart.umd.min.js",
    "exercise_media/log-figure.js",
    "img/icon.svg",
    "img/icon-192.png",
)
SW_BUNDLE = "pwa/sw-bundle.js"

# The response header that marks a page as the signed-in patient's (and so keepable offline).
OWNER_HEADER = "X-Backstep-Owner"
# The request header on the worker's own background fetches of those pages (never a page the patient opened).
BACKGROUND_HEADER = "X-Backstep-Background"


def _content_hash(path: str) -> str:
    found = finders.find(path)
    if not found:
        return "missing"
    with open(found, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]


def _hashed_names() -> bool:
    """Does the static storage put a content hash in every URL (ManifestStaticFilesStorage in production)?"""
    return "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]


def precache_entries() -> list[dict]:
    """Workbox precache entries: URL and revision (None when the URL itself is hashed)."""
    hashed = _hashed_names()
    return [{"url": static(path), "revision": None if hashed else _content_hash(path)} for path in PRECACHED_STATIC]


def language_entries() -> tuple[list[dict], dict[str, str]]:
    """The JavaScript catalog and the offline page of every language, and the offline page's URL per language.

    All of them are precached (a few KiB each): the worker is shared by the whole origin, so it cannot know at
    install which language the phone will want; it shows the offline page of the language of the last page it
    saw online (pwa/sw.js), and a kept page loads its own language's catalog by its versioned URL."""
    entries, offline = [], {}
    for code, _name in settings.LANGUAGES:
        url = catalog_url(code)  # the URL carries the catalog's hash
        entries.append({"url": url, "revision": None if _hashed_names() else url.rsplit("/", 1)[-1]})
        offline[code] = reverse("offline-language", kwargs={"language": code})
        with translation.override(code):
            page = render_to_string("patients/offline.html")
        entries.append({"url": offline[code], "revision": hashlib.sha256(page.encode()).hexdigest()[:16]})
    return entries, offline


def worker_config() -> dict:
    """What the worker needs to know about this release (self.BACKSTEP in pwa/sw.js)."""
    precache = precache_entries()
    languages, offline_pages = language_entries()
    bundle = [static(SW_BUNDLE), None if _hashed_names() else _content_hash(SW_BUNDLE)]
    # A new translation (catalog or offline page) is a new release too: the kept pages link to the new catalog.
    version = hashlib.sha256(json.dumps([precache, languages, bundle], sort_keys=True).encode()).hexdigest()[:12]
    precache.extend(languages)
    return {
        "version": version,
        "precache": precache,
        "pages": [reverse(name) for name in OFFLINE_PAGES],
        "offline": reverse("offline"),
        "offlinePages": offline_pages,
        "language": settings.LANGUAGE_CODE,
        "login": reverse("login"),
        "logout": reverse("logout"),
        "icon": static("img/icon-192.png"),
    }


def worker_script() -> str:
    """The text of /sw.js."""
    config = worker_config()
    return (
        "// Backstep's service worker (patients/pwa.py): this release's settings, then the bundled code.\n"
        f"self.BACKSTEP = {json.dumps(config, sort_keys=True)};\n"
        f"importScripts({json.dumps(static(SW_BUNDLE))});\n"
    )
