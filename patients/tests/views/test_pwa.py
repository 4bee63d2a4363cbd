"""The phone app's service worker script (/sw.js), its offline page, and which answers it may keep offline."""

import json
import re

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import MessageEncoder
from django.urls import reverse

from clinic import js_catalog
from patients import pwa
from patients.outbox import outbox_owner

pytestmark = pytest.mark.django_db


def worker_settings(response) -> dict:
    match = re.search(r"self\.BACKSTEP = (\{.*\});", response.content.decode())
    assert match, response.content
    return json.loads(match.group(1))


def test_the_worker_is_served_from_the_root_uncached_with_its_release(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    body = response.content.decode()
    assert 'importScripts("/static/pwa/sw-bundle.js")' in body
    assert "googleapis" not in body and "http" not in body  # same origin only, never Workbox's CDN loader
    config = worker_settings(response)
    assert config["pages"] == ["/today/", "/log/", "/checkin/", "/history/"]
    assert config["logout"] == "/accounts/logout/" and config["offline"] == "/offline/"
    assert config["offlinePages"] == {"en": "/offline/en/", "es": "/offline/es/", "de": "/offline/de/"}
    assert config["language"] == "en"
    urls = [entry["url"] for entry in config["precache"]]
    assert "/static/js/outbox.js" in urls and all(page in urls for page in config["offlinePages"].values())
    # Every language's JavaScript catalog, so a kept page still speaks its language offline.
    assert all(js_catalog.catalog_url(language) in urls for language in ("en", "es", "de"))
    assert not any(url.startswith("/api/") or url.startswith("/patients/") for url in urls)
    # Without hashed names (development), every file carries a content revision.
    assert all(entry["revision"] for entry in config["precache"])


def test_a_changed_static_file_is_a_new_release(client, monkeypatch):
    before = worker_settings(client.get("/sw.js"))["version"]
    monkeypatch.setattr(pwa, "_content_hash", lambda path: "changed")
    after = worker_settings(client.get("/sw.js"))
    assert after["version"] != before
    assert {entry["revision"] for entry in after["precache"] if entry["url"].startswith("/static/")} == {"changed"}


def test_a_new_translation_is_a_new_release(client, monkeypatch):
    """A changed catalog gets a new URL: the worker must precache it and keep the pages again (they link to it)."""
    before = worker_settings(client.get("/sw.js"))
    real = js_catalog.catalog_script

    def changed(language):
        body, version = real(language)
        return body, "new" + version[3:] if language == "de" else version

    monkeypatch.setattr(js_catalog, "catalog_script", changed)
    after = worker_settings(client.get("/sw.js"))
    assert after["version"] != before["version"]
    assert js_catalog.catalog_url("de") in [entry["url"] for entry in after["precache"]]


def test_production_storage_urls_are_their_own_revision(client, monkeypatch):
    monkeypatch.setattr(pwa, "_hashed_names", lambda: True)
    config = worker_settings(client.get("/sw.js"))
    assert all(entry["revision"] is None for entry in config["precache"] if entry["url"].startswith("/static/"))


def test_the_offline_page_shows_nobody(client, world):
    client.force_login(world.patient_a1.user)
    response = client.get(reverse("offline"))
    body = response.content.decode()
    assert response.status_code == 200 and "You are offline" in body
    assert world.patient_a1.first_name not in body and world.patient_a1.user.email not in body
    assert pwa.OWNER_HEADER not in response


@pytest.mark.parametrize(("language", "heading"), [("de", "Sie sind offline"), ("es", "No tiene conexión"),
                                                   ("en", "You are offline")])
def test_the_offline_page_in_each_language_whatever_the_request_says(client, language, heading):
    client.cookies["django_language"] = "es" if language != "es" else "de"
    response = client.get(reverse("offline-language", kwargs={"language": language}), HTTP_ACCEPT_LANGUAGE="fr")
    body = response.content.decode()
    assert response.status_code == 200 and heading in body
    assert f'<html lang="{language}">' in body and response["Content-Language"] == language


def test_the_offline_page_follows_the_request_language_at_its_plain_address(client):
    body = client.get(reverse("offline"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Sie sind offline" in body and "Erneut versuchen" in body


def test_no_offline_page_for_other_languages(client):
    assert client.get("/offline/fr/").status_code == 404


@pytest.mark.parametrize("name", pwa.OFFLINE_PAGES)
def test_patient_pages_carry_the_patients_owner_tag(client, world, name):
    client.force_login(world.patient_a1.user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response[pwa.OWNER_HEADER] == outbox_owner(world.patient_a1)


@pytest.mark.parametrize("name", pwa.OFFLINE_PAGES)
def test_the_workers_background_fetch_leaves_the_patients_message_for_their_page(client, world, name):
    """The worker keeps the phone pages ready in the background while the patient opens another: that fetch must not
    use up the message the patient's own page is about to show (the reminder-settings confirmation went missing)."""
    client.force_login(world.patient_a1.user)
    session = client.session
    session["_messages"] = json.dumps([Message(messages.SUCCESS, "Your reminder settings are saved.")],
                                      cls=MessageEncoder)
    session.save()
    background = client.get(reverse(name), headers={pwa.BACKGROUND_HEADER: "1"})
    assert background.status_code == 200 and background[pwa.OWNER_HEADER] == outbox_owner(world.patient_a1)
    assert "Your reminder settings are saved." not in background.content.decode()  # nor kept in the offline copy
    assert "Your reminder settings are saved." in client.get(reverse("patients:today")).content.decode()
    # Without the mark (the patient opened it), the page shows the message and uses it up, as before.
    assert "Your reminder settings are saved." not in client.get(reverse(name)).content.decode()


def test_the_worker_marks_its_background_fetches():
    source = (settings.BASE_DIR / "pwa" / "sw.js").read_text()
    assert f'const BACKGROUND_HEADER = "{pwa.BACKGROUND_HEADER}";' in source
    assert "headers: { [BACKGROUND_HEADER]: \"1\" }" in source


def test_nothing_else_is_marked_keepable(client, world):
    client.force_login(world.patient_a1.user)
    assert pwa.OWNER_HEADER not in client.get(reverse("home"))  # a redirect to today: not kept
    posted = client.post(reverse("patients:checkin"), {})
    assert pwa.OWNER_HEADER not in posted
    client.force_login(world.therapist_a)
    assert pwa.OWNER_HEADER not in client.get(reverse("patients:list"))
    assert pwa.OWNER_HEADER not in client.get(reverse("patients:today"))  # 403 for staff


def test_patient_pages_load_the_light_stylesheet_and_the_app_script(client, world):
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert "bootstrap.patient.min.css" in body and "bootstrap.bundle.min.js" not in body
    assert 'src="/static/js/pwa.js" data-sw="/sw.js" defer' in body
    assert "chart.umd" not in body
    client.force_login(world.therapist_a)
    staff = client.get(reverse("patients:list")).content.decode()
    assert "bootstrap.min.css" in staff and "pwa.js" not in staff


def test_the_manifest_makes_an_installable_app():
    """What Chrome and Safari need to offer "Install" / "Add to Home Screen" (static/manifest.webmanifest)."""
    from pathlib import Path

    from PIL import Image

    static = Path(__file__).resolve().parents[3] / "static"
    manifest = json.loads((static / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == "/today/" and manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"] and manifest["scope"] == "/"
    sizes = {}
    for icon in manifest["icons"]:
        if icon["type"] == "image/png":
            with Image.open(static / icon["src"]) as image:
                assert f"{image.size[0]}x{image.size[1]}" == icon["sizes"]
            sizes[icon["sizes"]] = icon
    assert {"192x192", "512x512"} <= set(sizes)


@pytest.mark.parametrize("name", pwa.OFFLINE_PAGES)
def test_phone_pages_block_rendering_on_no_script(client, world, name):
    """Light pages: every script is a deferred file of ours; Chart.js only where a chart is drawn."""
    from tests.factories import SessionLogFactory

    SessionLogFactory(exercise=world.assignment_a1.exercises.get(order=0, phase__order=0))
    client.force_login(world.patient_a1.user)
    body = client.get(reverse(name)).content.decode()
    # json_script data blocks are not code (and not run).
    scripts = [tag for tag in re.findall(r"<script\b[^>]*>", body) if 'type="application/json"' not in tag]
    assert scripts
    assert all(" defer" in tag for tag in scripts), scripts
    # The JavaScript catalog of the page's language first (clinic.js_catalog), then our static files.
    assert scripts[0] == f'<script src="{js_catalog.catalog_url("en")}" defer>', scripts
    assert all('src="/static/' in tag for tag in scripts[1:]), scripts
    assert ("chart.umd" in body) == (name == "patients:history")
    # Every file these pages load is precached by the worker, so the page opens offline whole (the chart too).
    precached = {entry["url"] for entry in pwa.precache_entries()}
    loaded = set(re.findall(r'<script src="(/static/[^"]+)"', body))
    loaded |= set(re.findall(r'href="(/static/[^"]+\.css)"', body))
    assert loaded and loaded <= precached, loaded - precached
