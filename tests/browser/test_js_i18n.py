"""Translated JavaScript on the phone (Django's JavaScript catalog, clinic/js_catalog.py), online and offline.

A German patient's pages load /jsi18n/de/<hash>.js before their scripts; the scripts' own words (the outbox's
count of another account's entries, with its plural) come out in German, with no console error, also when the
page is opened offline from the service worker's copy. The offline page follows the language of the last page
the phone opened online, so after a change of language the next page picks the new one.
"""

import re

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_offline_app import open_app_online, two_patients, wait_until  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]

FOREIGN_ENTRY = ("{url: '/checkin/', fields: [['pain', '3']], uuid: '%s', owner: 'f00d', kind: 'checkin',"
                 " savedAt: new Date().toISOString()}")


def speak(patient, language: str) -> None:
    """The signed-in patient's own language (set on their Language page or by their therapist): it decides."""
    patient.language = language
    patient.save(update_fields=["language"])


def others_waiting(page, count: int) -> None:
    """Entries another account saved on this phone: the page only says how many (static/js/outbox.js)."""
    entries = ", ".join(FOREIGN_ENTRY % f"00000000-0000-4000-8000-00000000000{n}" for n in range(count))
    page.evaluate(f"localStorage.setItem('backstep-outbox', JSON.stringify([{entries}]))")


def disconnected_only(errors: list[str]) -> bool:
    return all("ERR_INTERNET_DISCONNECTED" in error for error in errors)


def test_a_german_patient_reads_the_scripts_words_in_german_online_and_offline(two_patients, open_page):  # noqa: F811
    alma, _arlo = two_patients
    page, watch = open_page(360, 780)
    open_app_online(page, alma)
    speak(alma, "de")
    others_waiting(page, 1)
    page.goto("/today/")
    assert page.locator("html").get_attribute("lang") == "de"
    catalog = page.locator("script[src^='/jsi18n/de/']")
    assert catalog.count() == 1
    aside = page.locator(".bs-outbox-aside-text")
    aside.wait_for()
    assert aside.inner_text() == ("1 Eintrag eines anderen Kontos wartet auf diesem Handy; er wird gesendet, "
                                  "sobald sich diese Person anmeldet.")
    others_waiting(page, 2)
    page.reload()
    assert aside.inner_text().startswith("2 Einträge eines anderen Kontos warten auf diesem Handy")
    assert watch.console_errors == [], watch.console_errors
    screenshot(page, "js-i18n-de-today-360")

    # The worker keeps the German pages (the language changed: kept again at once) and has every catalog.
    wait_until(page, """async () => {
        const names = (await caches.keys()).filter((n) => n.startsWith('backstep-pages-'));
        if (names.length !== 1) { return false; }
        const page = await (await caches.open(names[0])).match('/history/', { ignoreVary: true });
        return page && (await page.text()).includes('<html lang="de">');
    }""")
    page.context.set_offline(True)
    page.reload()
    banner = page.locator(".bs-offline")
    banner.wait_for()
    assert banner.inner_text().startswith("Offline – zuletzt aktualisiert ")
    assert re.search(r"\d{2}\.\d{2}\.\d{4}", banner.inner_text()), banner.inner_text()  # German date from Intl
    assert aside.inner_text().startswith("2 Einträge eines anderen Kontos warten")  # the catalog, precached
    page.goto("/history/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert aside.inner_text().startswith("2 Einträge")

    # A page the phone never kept: the offline page in German.
    page.goto("/patients/")
    page.get_by_role("heading", name="Sie sind offline").wait_for()
    assert page.locator("html").get_attribute("lang") == "de"
    screenshot(page, "js-i18n-de-offline-360")
    assert disconnected_only(watch.console_errors), watch.console_errors


def test_after_a_change_of_language_the_offline_page_follows(two_patients, open_page):  # noqa: F811
    alma, _arlo = two_patients
    page, watch = open_page(360, 780)
    open_app_online(page, alma)
    speak(alma, "de")
    page.goto("/today/")
    page.context.set_offline(True)
    page.goto("/patients/")
    page.get_by_role("heading", name="Sie sind offline").wait_for()

    page.context.set_offline(False)
    speak(alma, "es")
    page.goto("/today/")  # the same worker: the next page seen online says the language
    assert page.locator("html").get_attribute("lang") == "es"
    page.context.set_offline(True)
    page.goto("/patients/")
    page.get_by_role("heading", name="No tiene conexión").wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    assert disconnected_only(watch.console_errors), watch.console_errors


def test_the_pain_chart_dates_are_in_the_page_language(two_patients, open_page, world):  # noqa: F811
    from tests.factories import SessionLogFactory

    alma, _arlo = two_patients
    SessionLogFactory(exercise=world.assignment_a1.exercises.get(order=0, phase__order=0))
    page, watch = open_page(360, 780)
    open_app_online(page, alma)
    speak(alma, "de")
    page.goto("/history/")
    chart = "Chart.getChart(document.getElementById('pain-chart'))"
    wait_until(page, f"!!window.Chart && !!{chart}")
    labels = page.evaluate(f"{chart}.data.labels")
    assert labels and all(re.fullmatch(r"\d{1,2}\. \w+\.?( \d{4})?", label) for label in labels), labels
    assert page.evaluate(f"{chart}.options.locale") == "de"
    assert watch.console_errors == [], watch.console_errors
