"""The phone app offline (service worker, pwa/sw.js) in Debian's Chromium at phone size.

Going offline is Playwright's context.set_offline(True): in Chromium it cuts the
network of the pages and of the service worker too, so a reload is answered by
the worker from the phone's caches, as on a phone without signal.
"""

import time

import pytest

from patients.models import SessionLog
from tests.browser.conftest import check_page, screenshot
from tests.browser.test_patient_phone import PASSWORD, fill_session, outbox_length, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
OFFLINE_PAGES = ["/today/", "/log/", "/checkin/", "/history/"]


@pytest.fixture
def two_patients(world):
    for patient in (world.patient_a1, world.patient_a2):
        patient.user.set_password(PASSWORD)
        patient.user.save()
    return world.patient_a1, world.patient_a2


def wait_until(page, expression: str, timeout: float = 15) -> None:
    """Poll a page expression through DevTools (wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def kept_pages(page) -> list[str]:
    """Every page the worker keeps on this phone, as path: cache name."""
    return page.evaluate("""async () => {
        const found = [];
        for (const name of await caches.keys()) {
            if (!name.startsWith('backstep-pages-')) { continue; }
            for (const request of await (await caches.open(name)).keys()) {
                found.push(new URL(request.url).pathname + ': ' + name);
            }
        }
        return found.sort();
    }""")


def kept_text(page) -> str:
    """The text of every response in every cache of this phone (pages, precache, state)."""
    return page.evaluate("""async () => {
        let text = '';
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) {
                text += request.url + '\\n' + await (await cache.match(request)).text() + '\\n';
            }
        }
        return text;
    }""")


def open_app_online(page, patient):
    """Sign in and open today's plan online; wait until the worker controls it and kept the four pages."""
    sign_in(page, patient)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    wait_until(page, """async () => {
        const names = (await caches.keys()).filter((n) => n.startsWith('backstep-pages-'));
        return names.length === 1 && (await (await caches.open(names[0])).keys()).length === 4;
    }""")


def test_plan_opens_offline_with_the_offline_notice(two_patients, open_page):
    alma, _arlo = two_patients
    page, watch = open_page(390, 844)
    open_app_online(page, alma)
    assert [entry.split(":")[0] for entry in kept_pages(page)] == sorted(OFFLINE_PAGES)

    page.context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name=f"Hello, {alma.first_name}").wait_for()
    banner = page.locator(".bs-offline")
    assert banner.is_visible() and banner.inner_text().startswith("Offline — last updated ")
    screenshot(page, "offline-today-390")
    for path in OFFLINE_PAGES[1:]:
        page.goto(path)
        assert banner.is_visible(), path
    # A page the phone never kept: the offline page, no browser error, nothing about the patient.
    page.goto("/patients/")
    page.get_by_role("heading", name="You are offline").wait_for()
    assert alma.first_name not in page.content()
    page.context.set_offline(False)
    # Online again: the page comes from the server, without the notice.
    page.goto("/today/")
    page.get_by_role("heading", name=f"Hello, {alma.first_name}").wait_for()
    assert not page.locator(".bs-offline").is_visible()
    assert watch.console_errors == [] or all("ERR_INTERNET_DISCONNECTED" in e for e in watch.console_errors)


def test_a_message_of_the_online_moment_is_not_shown_offline(two_patients, open_page):
    """The check-in's "saved" message is on the today page the worker kept; opened offline later, it is not."""
    alma, _arlo = two_patients
    page, _watch = open_page(360, 740)
    open_app_online(page, alma)
    page.goto("/checkin/")
    page.get_by_role("button", name="1", exact=True).click()
    page.get_by_text("morning answer is saved").wait_for()
    wait_until(page, """async () => {
        const names = (await caches.keys()).filter((n) => n.startsWith('backstep-pages-'));
        const kept = await (await caches.open(names[0])).match('/today/', { ignoreVary: true });
        return !!kept && (await kept.text()).includes('morning answer is saved');
    }""")
    page.context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name=f"Hello, {alma.first_name}").wait_for()
    assert page.locator(".bs-offline").is_visible()
    assert page.get_by_text("morning answer is saved").count() == 0
    assert page.locator("main [role=alert]").count() == 0
    page.context.set_offline(False)


def test_staff_pages_and_the_api_are_never_kept(two_patients, open_page, world):
    alma, _arlo = two_patients
    page, _watch = open_page(390, 844)
    open_app_online(page, alma)
    page.goto("/api/v1/")  # the patient's own API answers pass through the worker, never kept
    page.goto("/today/")
    cached = [entry.split(":")[0] for entry in kept_pages(page)]
    assert cached == sorted(OFFLINE_PAGES)
    assert "/api/" not in kept_text(page)


def test_a_session_ended_elsewhere_leaves_nothing_to_open_offline(two_patients, open_page):
    """The server session ended (expired, or signed out in a way the worker did not see): once the phone shows
    the sign-in page, the patient's kept pages are gone."""
    alma, _arlo = two_patients
    page, _watch = open_page(390, 844)
    open_app_online(page, alma)
    page.context.clear_cookies()
    page.goto("/today/")  # redirected to sign in
    page.get_by_role("heading", name="Sign in").wait_for()
    wait_until(page, "async () => (await caches.keys()).every((n) => !n.startsWith('backstep-pages-'))")
    page.context.set_offline(True)
    page.goto("/today/")
    page.get_by_role("heading", name="You are offline").wait_for()
    assert alma.first_name not in page.content()


def test_offline_double_tap_saves_one_session_after_reconnect(two_patients, open_page):
    alma, _arlo = two_patients
    page, watch = open_page(390, 844)
    open_app_online(page, alma)
    page.context.set_offline(True)
    page.goto("/log/")  # opened offline, from the phone
    assert page.locator(".bs-offline").is_visible()
    fill_session(page, pain="3")
    page.get_by_role("button", name="Save session").dblclick()
    page.get_by_text("Saved on this phone — will send when online.").wait_for()
    assert outbox_length(page) == 1 and not SessionLog.objects.exists()
    page.context.set_offline(False)
    page.get_by_text("Sent. Your entries are with your clinic.").wait_for()
    # The worker's Background Sync copy of the same entry may arrive too: the server keeps one.
    page.wait_for_timeout(1500)
    page.goto("/today/")
    page.wait_for_load_state("networkidle")
    assert list(SessionLog.objects.values_list("patient", "pain_during")) == [(alma.pk, 3)]
    assert outbox_length(page) == 0


def test_a_second_offline_opening_of_the_log_is_a_new_entry(two_patients, open_page):
    """Every offline opening of the kept log form is its own form fill, with its own id."""
    alma, _arlo = two_patients
    page, _watch = open_page(390, 844)
    open_app_online(page, alma)
    page.context.set_offline(True)
    for pain in ("3", "5"):
        page.goto("/log/")
        fill_session(page, pain=pain)
        page.get_by_role("button", name="Save session").click()
        page.get_by_text("Saved on this phone — will send when online.").wait_for()
    assert outbox_length(page) == 2
    page.context.set_offline(False)
    page.get_by_text("Sent. Your entries are with your clinic.").wait_for()
    assert sorted(SessionLog.objects.values_list("pain_during", flat=True)) == [3, 5]


def test_signing_out_offline_then_another_patient_sees_nothing_of_the_first(two_patients, open_page):
    alma, arlo = two_patients
    page, watch = open_page(360, 740)
    open_app_online(page, alma)
    page.context.set_offline(True)
    page.goto("/log/")
    fill_session(page, pain="9")
    page.get_by_role("button", name="Save session").click()
    page.get_by_text("Saved on this phone — will send when online.").wait_for()

    # Signing out without a connection: the phone forgets Alma's pages at once.
    menu = page.get_by_role("button", name="Show menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="You are offline").wait_for()
    assert kept_pages(page) == []
    page.goto("/today/")  # her plan no longer opens offline
    page.get_by_role("heading", name="You are offline").wait_for()
    assert alma.first_name not in page.content()

    page.context.set_offline(False)
    sign_in(page, arlo)  # the sign-out is sent first: the server session of Alma ended too
    wait_until(page, "navigator.serviceWorker.controller !== null")
    wait_until(page, "async () => (await caches.keys()).some((n) => n.startsWith('backstep-pages-'))")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # time for a Background Sync replay, which must not send Alma's entry
    assert not SessionLog.objects.exists()
    assert alma.first_name not in kept_text(page)
    assert alma.first_name not in page.content()
    # Alma's entry waits on the phone for her (outbox.js), counted for Arlo, never shown or sent.
    assert outbox_length(page) == 1
    page.get_by_text("1 entry saved on this phone by another account is waiting").wait_for()
    assert "9" not in page.locator(".bs-outbox-aside").inner_text()

    page.context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name=f"Hello, {arlo.first_name}").wait_for()
    assert alma.first_name not in page.content()
    page.context.set_offline(False)
    sign_out(page)
    sign_in(page, alma)
    page.get_by_text("Sent. Your entries are with your clinic.").wait_for()
    assert list(SessionLog.objects.values_list("patient", "pain_during")) == [(alma.pk, 9)]
    check_page(page, watch, "offline-after-sign-in-360", 360)


def test_background_sync_sends_the_entry_with_the_app_closed(two_patients, open_page, live_server):
    """The worker's copy of an offline entry goes when the browser fires Background Sync with no page open.

    The sync event is fired through DevTools (ServiceWorker.dispatchSyncEvent), from a blank tab that is
    not a page of the app: Chrome fires it by itself when the phone's connection returns.
    """
    alma, _arlo = two_patients
    page, _watch = open_page(390, 844)
    open_app_online(page, alma)
    page.goto("/log/")
    page.context.set_offline(True)
    fill_session(page, pain="4")
    page.get_by_role("button", name="Save session").click()
    page.get_by_text("Saved on this phone — will send when online.").wait_for()

    blank = page.context.new_page()
    devtools = page.context.new_cdp_session(blank)
    registrations = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    devtools.send("ServiceWorker.enable")
    page.close()  # the app is closed; only the worker is left
    page.context.set_offline(False)
    blank.wait_for_timeout(300)
    registration = next(r for r in registrations if r["scopeURL"] == live_server.url + "/")
    devtools.send("ServiceWorker.dispatchSyncEvent", {
        "origin": registration["scopeURL"].rstrip("/"), "registrationId": registration["registrationId"],
        "tag": "workbox-background-sync:backstep-outbox", "lastChance": False})
    deadline = time.monotonic() + 15
    while not SessionLog.objects.exists():
        assert time.monotonic() < deadline, "the worker did not send the entry"
        blank.wait_for_timeout(200)
    assert list(SessionLog.objects.values_list("patient", "pain_during")) == [(alma.pk, 4)]


def test_a_new_release_takes_over_in_one_step(two_patients, open_page, monkeypatch):
    """A new release installs beside the open page, offers "Reload", then replaces pages and files together."""
    from patients import pwa

    alma, _arlo = two_patients
    page, watch = open_page(390, 844)
    open_app_online(page, alma)
    first = page.evaluate("async () => (await caches.keys()).filter((n) => n.startsWith('backstep-pages-'))")

    monkeypatch.setattr(pwa, "_content_hash", lambda path: "release-2")  # every static file changed
    page.reload()  # a navigation: the browser checks /sw.js, finds a new release and installs it
    update = page.locator(".bs-update")
    update.wait_for(timeout=20000)
    assert page.get_by_role("heading", name=f"Hello, {alma.first_name}").is_visible()  # nothing swapped yet
    with page.expect_navigation():  # the new release took over: the page reloads once, with its files
        update.get_by_role("button", name="Reload").click()
    wait_until(page, """async () => {
        const names = (await caches.keys()).filter((n) => n.startsWith('backstep-pages-'));
        return names.length === 1 && (await (await caches.open(names[0])).keys()).length === 4;
    }""")
    page.get_by_role("heading", name=f"Hello, {alma.first_name}").wait_for()
    assert not page.locator(".bs-update").is_visible()
    now = page.evaluate("async () => (await caches.keys()).filter((n) => n.startsWith('backstep-pages-'))")
    assert now != first  # the previous release's pages are gone with it
    precached = page.evaluate("""async () => {
        const name = (await caches.keys()).find((n) => n.startsWith('workbox-precache'));
        return (await (await caches.open(name)).keys()).map((r) => r.url);
    }""")
    static_files = [url for url in precached if "/static/" in url]
    assert static_files and all("__WB_REVISION__=release-2" in url for url in static_files), precached
