"""The printed plan (issue 13, point 8): walking or running by the running-speed threshold, dated, the clinic's
name and contact, and a QR code and address for signing in, drawn as inline SVG (no request to another host)."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from clinic.models import ClinicSettings
from clinic.qr import qr_svg
from patients.models import AssignedExercise, AssignedLadderStep
from patients.services import clinic_today
from protocols.wording import format_date

pytestmark = pytest.mark.django_db


def handout(client, world) -> str:
    client.force_login(world.therapist_a)
    response = client.get(reverse("patients:handout", args=[world.patient_a1.pk]))
    assert response.status_code == 200
    return response.content.decode()


def set_speed(world, speed: str) -> None:
    AssignedExercise.objects.filter(assignment=world.assignment_a1, order=0).update(kind="retro_treadmill_run")
    AssignedLadderStep.objects.filter(exercise__assignment=world.assignment_a1, order=0).update(speed_kmh=speed)


@pytest.mark.parametrize("speed, overrides, words", [
    ("5.5", {}, "Walk backwards at 5.5 km/h"),          # a "run" template below 5.8 km/h is walked
    ("5.8", {}, "Run backwards at 5.8 km/h"),
    ("5.8", {"running_speed_kmh": 6}, "Walk backwards at 5.8 km/h"),  # the clinic's threshold decides
])
def test_walking_or_running_is_worded_by_the_running_speed(client, world, speed, overrides, words):
    set_speed(world, speed)
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(engine_overrides=overrides)
    body = handout(client, world)
    assert words in body
    other = "Run backwards at" if words.startswith("Walk") else "Walk backwards at"
    assert other not in body


def test_the_handout_is_dated_names_the_clinic_and_its_contact(client, world):
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(contact_phone="+44 20 7946 0000",
                                                                contact_hours="Mon–Fri 8:00–18:00")
    body = handout(client, world)
    today = clinic_today(world.clinic_a)
    assert f"Printed on {format_date(today)}." in body and today.isoformat() not in body
    assert "Clinic A" in body and "+44 20 7946 0000" in body and "Mon–Fri 8:00–18:00" in body
    assert "Level 1 of 3" in body


def test_the_handout_has_a_sign_in_qr_code_and_address_drawn_inline(client, world):
    body = handout(client, world)
    address = settings.SITE_URL + reverse("login")
    assert f'<span class="bs-address">{address}</span>' in body
    qr = re.search(r'<div class="bs-handout-qr">(.*?)</div>', body, re.DOTALL).group(1)
    assert qr.startswith('<svg role="img"') and "QR code: the Backstep sign-in page" in qr
    assert qr == str(qr_svg(address, title="QR code: the Backstep sign-in page"))  # it encodes the address
    # Nothing on the page is fetched from another host.
    assert not re.search(r"""(src|href)=["']https?://""", body)


def test_the_handout_prints_its_safety_and_contact_parts(client, world):
    body = handout(client, world)
    # The footer is hidden in print, so the handout carries the stop rule and contact in its own body.
    article = re.search(r'<article class="bs-handout[^"]*">(.*?)</article>', body, re.DOTALL).group(1)
    assert "bs-stop-rule" in article and "bs-contact" in article and "bs-handout-qr" in article
    css = (settings.BASE_DIR / "static" / "css" / "backstep.css").read_text()
    assert re.search(r"@media print \{[^}]*\.bs-handout-footer \{ break-inside: avoid", css)
