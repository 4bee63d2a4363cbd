"""Join-by-code pages: the code page (staff), the QR encodes the link shown, the two phone steps, audit, lockout."""

import re
import zoneinfo

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from patients.models import JoinCode
from patients.services import join_code_create
from patients.services.join_codes import FAILURES_PER_ADDRESS
from patients.views.join import join_qr
from tests.factories import PatientFactory

NEW_PASSWORD = "a knee that climbs hills"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def newcomer(world):
    return PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="new@patient.test", user=None)


def test_the_code_page_shows_the_code_and_a_qr_of_exactly_its_link(client, world, newcomer):
    world.clinic_a.timezone = "Australia/Sydney"  # not the server's zone: the expiry is in the clinic's
    world.clinic_a.save(update_fields=["timezone"])
    client.force_login(world.therapist_a)
    response = client.post(reverse("patients:join-code", args=[newcomer.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    code = re.search(r'id="join-code"[^>]*>([A-Z0-9-]+)<', body).group(1)
    url = re.search(r'id="join-url">([^<]+)<', body).group(1).replace("&amp;", "&")
    assert url.endswith(f"/join/?code={code}")
    until = timezone.localtime(JoinCode.objects.get().expires_at, zoneinfo.ZoneInfo(world.clinic_a.timezone))
    assert f"(until {until:%H:%M})" in body  # the clinic's wall clock
    assert str(join_qr(url)) in body  # segno draws the same SVG for the same link: the QR encodes this URL
    assert AuditEvent.objects.filter(patient_id=newcomer.pk, route="patients:join-code").count() == 1


def test_other_clinics_staff_and_patients_cannot_show_a_code(client, world, newcomer):
    client.force_login(world.therapist_b)
    assert client.post(reverse("patients:join-code", args=[newcomer.pk])).status_code == 404
    client.force_login(world.patient_a1.user)
    assert client.post(reverse("patients:join-code", args=[newcomer.pk])).status_code == 403
    assert not JoinCode.objects.exists()


def test_the_two_steps_sign_the_patient_in_and_audit_the_join(client, newcomer):
    _row, code = join_code_create(patient=newcomer)
    assert client.get(reverse("patients:join-password")).status_code == 403  # no code typed yet
    response = client.post(reverse("patients:join"), {"code": code})
    assert response.status_code == 302 and response["Location"] == reverse("patients:join-password")
    weak = client.post(reverse("patients:join-password"), {"password1": "short", "password2": "short"})
    assert weak.status_code == 200 and weak.context["form"].errors  # the invitation flow's password rules
    done = client.post(reverse("patients:join-password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("patients:today")
    assert client.get(reverse("patients:today")).status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.user.check_password(NEW_PASSWORD)
    events = AuditEvent.objects.filter(patient_id=newcomer.pk, route="patients:join-password", method="POST")
    assert events.count() == 2  # the refused weak password and the join


def test_wrong_codes_lock_out_with_a_clear_message(client, newcomer):
    _row, code = join_code_create(patient=newcomer)
    for _ in range(FAILURES_PER_ADDRESS):
        wrong = client.post(reverse("patients:join"), {"code": "ZZZZ-ZZZZ"})
        assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    locked = client.post(reverse("patients:join"), {"code": code})
    assert locked.status_code == 429 and "Too many wrong codes" in locked.content.decode()


@pytest.mark.parametrize("language", ["es", "de"])
def test_the_password_page_speaks_the_patients_language_once_the_code_names_them(client, newcomer, language):
    """Signed out, the browser asks for English, but the accepted code names a patient set to Spanish or German:
    the "choose a password" page (and its refusals) is in their language, as the invitation page is."""
    from django.utils import translation

    newcomer.language = language
    newcomer.save(update_fields=["language"])
    _row, code = join_code_create(patient=newcomer)
    english = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
    first = client.get(reverse("patients:join"), **english)
    assert 'lang="en"' in first.content.decode()  # before the code, nobody is known: the browser's language
    client.post(reverse("patients:join"), {"code": code}, **english)
    response = client.get(reverse("patients:join-password"), **english)
    body = response.content.decode()
    assert f'lang="{language}"' in body
    for english_text in ("Choose a password to see your knee plan.", "Save and see my plan", "Type it again"):
        with translation.override(language):
            translated = translation.gettext(english_text)
        assert translated != english_text and translated in body
        assert english_text not in body
    weak = client.post(reverse("patients:join-password"), {"password1": "short", "password2": "short"}, **english)
    assert f'lang="{language}"' in weak.content.decode()
    translation.activate("en")
