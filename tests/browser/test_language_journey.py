"""A patient set to Spanish (or German) lives the whole journey in that language (issue 20): the invitation
e-mail, the invitation page, today, logging a session, the morning check-in and the history — every heading,
button, message and number in their language, on a phone at 360 px, while the browser itself asks for English.
After sign-out, the sign-in page keeps the language they chose (the language cookie, clinic/language.py).
"""

import datetime as dt
import re

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.utils import translation

from patients.models import MorningCheckIn, SessionLog
from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
PASSWORD = "rainy-treadmill-morning-42"
# English the journey's pages say in English; none may be left on a Spanish or German page.
ENGLISH = ["Choose a password", "Type it again", "Save and see my plan", "Hello,", "Welcome!", "Log this session",
           "Log a session", "Save session", "Session saved", "What you recorded", "What happens next",
           "Back to today", "Your history", "This week", "Sessions", "Morning check-ins",
           "How does your knee feel this morning?", "Thank you", "your morning answer is saved", "Sign out",
           "minutes", "Today", "Exercise", "Pain right after", "Worst pain during", "Walk backwards",
           "on a", "incline", "for", "and", "the", "your", "you"]

# A day written in full, the language's way (clinic/formats: WEEKDAY_DATE).
LONG_DAY = {"de": r"\b(?:[A-Z][a-z]+tag|Mittwoch), \d{1,2}\. [A-Z][a-zä]+", "es": r"\b[^\W\d_]+ \d{1,2} de [a-z]+"}


def words(lang: str, text: str) -> str:
    with translation.override(lang):
        return translation.gettext(text)


def english_left(page) -> list[str]:
    body = page.locator("body").inner_text()
    return [phrase for phrase in ENGLISH if re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", body)]


def assert_in_language(page, lang: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang
    assert english_left(page) == []


def assert_speeds_have_a_decimal_comma(page) -> None:
    body = page.locator("main").inner_text()
    assert re.search(r"\d,\d km/h", body), body  # e.g. "2,5 km/h"
    assert not re.search(r"\d\.\d km/h", body), body


@pytest.fixture
def speaker(world, request):
    from patients.services import assignment_create, invitation_create
    from protocols.models import Protocol
    from protocols.services import library_install
    from tests.factories import PatientFactory

    library_install()  # Backstep's own protocol: its exercises and instructions read in the patient's language

    lang = request.param
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email=f"{lang}@patient.test",
                             first_name="Lucía" if lang == "es" else "Jürgen", last_name="Ortega", language=lang,
                             user=None)
    assignment_create(patient=patient, protocol=Protocol.objects.get(clinic=None, slug="pfp-retro-incline-6-weeks"),
                      start_date=dt.date.today() - dt.timedelta(days=3), baseline_pain=2)
    mail.outbox.clear()
    _invitation, link = invitation_create(patient=patient, send=True)
    yield lang, patient, link
    translation.activate("en")


def english_invitation(patient, link: str) -> tuple[str, str]:
    """The same invitation e-mail as an English patient would get it (to prove none of it is left)."""
    from clinic.selectors import clinic_guidance
    from patients.services.invitations import INVITATION_DAYS

    with translation.override("en"):
        body = render_to_string("emails/invitation.txt", {"clinic": patient.clinic.name, "link": link,
                                                          "days": INVITATION_DAYS,
                                                          "guide": clinic_guidance(patient.clinic)})
        subject = translation.gettext("Your Backstep invitation from %(clinic)s") % {"clinic": patient.clinic.name}
    return subject, body


@pytest.mark.parametrize("speaker", ["es", "de"], indirect=True)
def test_the_whole_journey_is_in_the_patients_language(speaker, open_page):
    lang, patient, link = speaker
    # The invitation e-mail: subject and body in their language, the link inside, no English sentence left.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    english_subject, english_body = english_invitation(patient, link)
    assert message.subject != english_subject
    assert message.subject == words(lang, "Your Backstep invitation from %(clinic)s") % {"clinic": patient.clinic.name}
    assert link in message.body
    assert message.body.startswith(words(lang, "Hello,"))
    english_lines = [line.strip() for line in english_body.splitlines()
                     if len(line.strip()) > 12 and link not in line and patient.clinic.name != line.strip()]
    assert english_lines, english_body
    for line in english_lines:
        assert line not in message.body, line
    for phrase in ("has set up your knee rehabilitation plan", "Open this link", "The link works once", "Hello,"):
        assert phrase not in message.body

    page, watch = open_page(360, 740)  # Chromium asks for English (Accept-Language en-US)
    page.goto("/invite/" + link.split("/invite/")[1])
    page.get_by_label(words(lang, "Choose a password")).wait_for()
    assert_in_language(page, lang)
    check_page(page, watch, f"lang-{lang}-invitation", 360)
    page.get_by_label(words(lang, "Choose a password")).fill(PASSWORD)
    page.get_by_label(words(lang, "Type it again")).fill(PASSWORD)
    page.get_by_role("button", name=words(lang, "Save and see my plan")).click()

    # Today: the welcome message, the plan with its speed the local way.
    page.get_by_role("link", name=words(lang, "Log this session")).first.wait_for()
    page.get_by_text(words(lang, "Welcome! This is your plan for today.")).wait_for()
    assert_in_language(page, lang)
    assert_speeds_have_a_decimal_comma(page)
    assert re.search(LONG_DAY[lang], page.locator("main").inner_text())  # "Freitag, 4. Dezember"
    check_page(page, watch, f"lang-{lang}-today", 360)

    # The log form, its prefilled speed with a decimal comma.
    page.get_by_role("link", name=words(lang, "Log this session")).first.click()
    page.get_by_role("heading", name=words(lang, "Log a session")).wait_for()
    assert_in_language(page, lang)
    assert re.fullmatch(r"\d+,\d", page.locator("#id_speed_kmh").input_value())  # e.g. "2,5"
    check_page(page, watch, f"lang-{lang}-log", 360)
    page.locator("label[for=id_pain_during-2]").click()
    page.locator("label[for=id_pain_after-1]").click()
    page.get_by_role("button", name=words(lang, "Save session")).click()

    # Saved: the heading, what was recorded (speed with a comma) and what happens next, all in the language.
    page.get_by_role("heading", name=words(lang, "Session saved")).wait_for()
    page.get_by_role("heading", name=words(lang, "What happens next")).wait_for()
    assert_in_language(page, lang)
    assert_speeds_have_a_decimal_comma(page)
    assert re.search(LONG_DAY[lang] + r", \d\d:\d\d", page.locator("main").inner_text())  # correctable until
    check_page(page, watch, f"lang-{lang}-saved", 360)
    assert SessionLog.objects.filter(patient=patient).count() == 1

    # The morning check-in, and its confirmation message back on today.
    page.goto("/checkin/")
    page.get_by_role("heading", name=words(lang, "How does your knee feel this morning?")).wait_for()
    assert_in_language(page, lang)
    check_page(page, watch, f"lang-{lang}-checkin", 360)
    page.get_by_role("button", name="1", exact=True).click()
    page.get_by_text(words(lang, "Thank you — your morning answer is saved.")).wait_for()
    assert MorningCheckIn.objects.get(patient=patient).pain == 1
    assert_in_language(page, lang)
    check_page(page, watch, f"lang-{lang}-checkin-saved", 360)

    # The history.
    page.goto("/history/")
    page.get_by_role("heading", name=words(lang, "Your history")).wait_for()
    assert_in_language(page, lang)
    if "km/h" in page.locator("main").inner_text():
        assert_speeds_have_a_decimal_comma(page)
    check_page(page, watch, f"lang-{lang}-history", 360)

    # Signed out, the browser (still asking for English) keeps the language they chose.
    page.locator("form[action='/accounts/logout/']").first.evaluate("form => form.submit()")
    page.wait_for_url("**/accounts/login/**")
    assert page.locator("html").get_attribute("lang") == lang
    page.get_by_role("button", name=words(lang, "Sign in")).wait_for()
    check_page(page, watch, f"lang-{lang}-signed-out", 360)


@pytest.mark.parametrize("lang", ["de", "es"])
def test_a_therapists_full_menu_fits_a_laptop_in_german_and_spanish(world, open_page, lang):
    """The staff menu in German or Spanish is wider than 1366 px in one row: it wraps, the page never scrolls
    sideways (the signed-in line shrinks)."""
    from clinic.models import User
    from tests.browser.conftest import has_horizontal_scroll
    from tests.factories import PASSWORD as FACTORY_PASSWORD

    therapist = User.objects.get(pk=world.therapist_a.pk)
    therapist.language = lang
    therapist.email = "maya.okafor@physiotherapie-am-stadtpark.example"  # a real clinic's longer signed-in line
    world.clinic_a.name = "Physiotherapie am Stadtpark"
    world.clinic_a.save(update_fields=["name"])
    therapist.set_password(FACTORY_PASSWORD)
    therapist.save()
    page, watch = open_page(1366, 800)
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(therapist.email)
    page.get_by_label("Password").fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/patients/")
    assert page.locator("html").get_attribute("lang") == lang
    for url in ("/patients/", f"/patients/{world.patient_a1.pk}/", "/flags/"):
        page.goto(url)
        assert not has_horizontal_scroll(page), url
        assert page.get_by_role("button", name=words(lang, "Sign out")).is_visible()
    check_page(page, watch, f"lang-{lang}-therapist-menu", 1366)
    # On a tablet the patient list's every column shows without scrolling the table sideways.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto("/patients/")
    assert page.evaluate("(() => { const t = document.querySelector('.table-responsive');"
                         " return t.scrollWidth <= t.clientWidth; })()")
    translation.activate("en")
