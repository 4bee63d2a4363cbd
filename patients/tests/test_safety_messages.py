"""Safety messages agree and say how to reach the clinic (issue 13, point 7).

- one wording of the stop rule, with the clinic's own red limit: footer, after-log message, handout;
- after a red-pain session every patient page shows the clinic's phone, e-mail and hours;
- e-mails to patients carry the clinic's contact;
- an "Improved" flag beside an open red-pain flag is explained where the therapist reads them;
- the step-down box on the phone is one column (it no longer borrows the tick-box row style).
"""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.models import ClinicSettings
from patients.models import Flag
from patients.services import assignments_check, invitation_create
from tests.factories import MorningCheckInFactory, PatientFactory, SessionLogFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

TODAY = dt.date.today()
PHONE = "+44 20 7946 0000"
STOP_RULE = ("Stop and contact your clinic if pain during exercise passes {limit} out of 10, or if it has not "
             "settled by the next morning.")
PATIENT_PAGES = ("patients:today", "patients:log-session", "patients:checkin", "patients:history")


@pytest.fixture
def contact(world):
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(
        contact_phone=PHONE, contact_email="desk@clinic-a.test", contact_hours="Mon–Fri 8:00–18:00")
    world.clinic_a.refresh_from_db()  # forget the settings row cached on the instance


def walk(world):
    return world.assignment_a1.exercises.get(phase__order=0, order=0)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_after_a_red_session_every_patient_page_says_how_to_reach_the_clinic(client, world, contact):
    client.force_login(world.patient_a1.user)
    for name in PATIENT_PAGES:
        assert "Pain during your latest session passed" not in client.get(reverse(name)).content.decode(), name
    session = SessionLogFactory(exercise=walk(world), date=TODAY, pain_during=7, pain_after=6)
    pages = [client.get(reverse(name)).content.decode() for name in PATIENT_PAGES]
    pages.append(client.get(reverse("patients:session-saved", args=[session.pk])).content.decode())
    for body in pages:
        body = text(body)
        assert "Pain during your latest session passed 5 out of 10" in body
        assert PHONE in body and "desk@clinic-a.test" in body and "Mon–Fri 8:00–18:00" in body
    assert 'href="tel:+442079460000"' in pages[0]
    # A later session below the limit ends the notice; the footer keeps the contact.
    SessionLogFactory(exercise=walk(world), date=TODAY, pain_during=2)
    body = client.get(reverse("patients:today")).content.decode()
    assert "Pain during your latest session passed" not in body and PHONE in body


def test_a_red_back_dated_session_shows_the_notice_on_its_saved_page(client, world, contact):
    SessionLogFactory(exercise=walk(world), date=TODAY, pain_during=1)
    older = SessionLogFactory(exercise=walk(world), date=TODAY - dt.timedelta(days=3), pain_during=8)
    client.force_login(world.patient_a1.user)
    assert "Pain during your latest session passed" not in client.get(reverse("patients:today")).content.decode()
    body = client.get(reverse("patients:session-saved", args=[older.pk])).content.decode()
    assert "Pain during your latest session passed 5 out of 10" in body and PHONE in body


def test_the_notice_follows_the_clinics_red_limit(client, world, contact):
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(engine_overrides={"red_above": 6})
    SessionLogFactory(exercise=walk(world), date=TODAY, pain_during=6)
    client.force_login(world.patient_a1.user)
    assert "Pain during your latest session passed" not in client.get(reverse("patients:today")).content.decode()
    SessionLogFactory(exercise=walk(world), date=TODAY, pain_during=7)
    assert "passed 6 out of 10" in client.get(reverse("patients:today")).content.decode()


def test_one_wording_of_the_stop_rule_in_footer_after_log_and_handout(client, world):
    ClinicSettings.objects.filter(clinic=world.clinic_a).update(engine_overrides={"red_above": 4})
    rule = STOP_RULE.format(limit=4)
    session = SessionLogFactory(exercise=walk(world), date=TODAY, pain_during=2)
    client.force_login(world.patient_a1.user)
    footer_page = text(client.get(reverse("patients:today")).content.decode())
    saved = text(client.get(reverse("patients:session-saved", args=[session.pk])).content.decode())
    client.force_login(world.therapist_a)
    handout = text(client.get(reverse("patients:handout", args=[world.patient_a1.pk])).content.decode())
    for where, body in (("footer", footer_page), ("after the log", saved), ("handout", handout)):
        assert rule in body, where
        # No other wording of the rule beside it.
        assert "If pain stays above" not in body and "may reach 5 out of 10" not in body, where
    assert saved.count(rule) == 2  # the after-log message and the footer
    client.logout()
    assert STOP_RULE.format(limit=5) in text(client.get(reverse("login")).content.decode())  # no clinic: default


def test_e_mails_to_patients_carry_the_clinics_contact(client, world, contact):
    patient = PatientFactory(clinic=world.clinic_a, email="new@a.test")
    mail.outbox.clear()
    invitation_create(patient=patient, created_by=world.therapist_a)
    (invitation,) = mail.outbox
    assert "How to reach Clinic A:" in invitation.body and f"Phone: {PHONE}" in invitation.body
    assert "Hours: Mon–Fri 8:00–18:00" in invitation.body
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": world.patient_a1.user.email})
    (reset,) = mail.outbox
    assert f"Phone: {PHONE}" in reset.body and "E-mail: desk@clinic-a.test" in reset.body
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": world.therapist_a.email})
    (staff_reset,) = mail.outbox
    assert "How to reach" not in staff_reset.body  # staff are the clinic


def red_after_improvement(world):
    """Morning pain well below a baseline of 4 all week (F2 "improved"), then a red session today (R1)."""
    assignment = world.assignment_a1
    assignment.baseline_pain = 4
    assignment.save()
    for days_ago in (3, 2, 1):
        day = TODAY - dt.timedelta(days=days_ago)
        SessionLogFactory(exercise=walk(world), date=day, pain_during=2)
        MorningCheckInFactory(patient=world.patient_a1, date=day + dt.timedelta(days=1), pain=1)
    SessionLogFactory(exercise=walk(world), date=TODAY, pain_during=7)
    assignments_check(assignment_ids=[assignment.pk], today=TODAY)
    kinds = set(Flag.objects.filter(patient=world.patient_a1).values_list("kind", flat=True))
    assert {"improved", "pain_red"} <= kinds


NOTE = ("Morning pain improved over the last 7 days, but the latest session was in the red zone: the red-pain "
        "flag takes priority.")


def test_improved_beside_red_pain_is_explained_in_the_inbox_and_on_the_patient_page(client, world):
    red_after_improvement(world)
    client.force_login(world.therapist_a)
    inbox = text(client.get(reverse("patients:flags")).content.decode())
    detail = text(client.get(reverse("patients:detail", args=[world.patient_a1.pk])).content.decode())
    assert inbox.count(NOTE) == 1 and detail.count(NOTE) == 1
    # Once the red-pain flag is resolved, "Improved" stands alone again.
    Flag.objects.filter(kind="pain_red").update(status=Flag.Status.RESOLVED, resolved_at=timezone.now())
    assert NOTE not in text(client.get(reverse("patients:flags")).content.decode())


def test_improved_alone_has_no_note(client, world):
    assignment = world.assignment_a1
    assignment.baseline_pain = 4
    assignment.save()
    for days_ago in (3, 2, 1):
        day = TODAY - dt.timedelta(days=days_ago)
        SessionLogFactory(exercise=walk(world), date=day, pain_during=2)
        MorningCheckInFactory(patient=world.patient_a1, date=day + dt.timedelta(days=1), pain=1)
    assignments_check(assignment_ids=[assignment.pk], today=TODAY)
    assert Flag.objects.filter(kind="improved").exists()
    client.force_login(world.therapist_a)
    assert NOTE not in text(client.get(reverse("patients:flags")).content.decode())


def test_the_step_down_message_agrees_with_the_reason(client, world):
    """At the first level a regress stays there: the headline says so, like the engine's reason."""
    SessionLogFactory(exercise=walk(world), date=TODAY, pain_during=7)
    assignments_check(assignment_ids=[world.assignment_a1.pk], today=TODAY)
    client.force_login(world.patient_a1.user)
    body = text(client.get(reverse("patients:today")).content.decode())
    assert "Stay at the easiest level next time." in body and "stay at level 1 of 3, the easiest" in body
    assert "Step down next time." not in body


def test_the_step_down_box_is_its_own_one_column_block(client, world):
    red_after_improvement(world)
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    box = re.search(r'<div class="alert [^"]*bs-check-result"[^>]*>', body)
    assert box and "alert-warning" in box.group()
    assert not re.search(r'class="alert [^"]*\bbs-check\b[ "]', body)  # not the tick-box row (display: flex)
