"""The form fuzzer's routes: every HTML route that takes POST, who posts to it, and the objects its URL points at.

A route added to the app that takes POST needs a row in ROUTES, or `test_every_post_route_is_fuzzed`
(tests/test_form_fuzz.py) fails. Import the `objects` fixture into a test module together with `rows` from
tests.api.support.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from patients.services import join_code_create
from reminders.mail import unsubscribe_token

# ---------------------------------------------------------------------------
# The objects the routes point at
# ---------------------------------------------------------------------------


@dataclass
class Objects:
    world: object
    rows: object
    patient_a3: object  # clinic A, no login yet, an open invitation, no plan
    patient_a4: object  # clinic A, on protocol A (two phases), so the phase can change
    invitation_token: str
    reset_link: str  # a password-reset link of patient A2's account
    membership_invited: object  # invited, no password yet
    joiner: object  # an existing account without a role, invited to join clinic A's staff
    staff_join_token: str
    membership_active: object  # a therapist the admin may deactivate
    membership_inactive: object  # a deactivated therapist
    key_a: object
    notification_failed: object  # a staff e-mail that failed for good, listed for the admin to retry
    protocol_archived: object
    phase_a: object
    exercise_a: object  # the retro walk, with its ladder
    step_a: object
    time_entry_a1: object  # patient A1 is enrolled in remote monitoring; therapist A logged this
    media_template_a: object  # a picture of clinic A's template A
    media_patient_a1: object  # a picture made for patient A1's plan
    questionnaire_a1: object  # SANE on patient A1's plan, due and not answered (PSFS too, no activities yet)


@pytest.fixture
def objects(world, rows, settings, tmp_path) -> Objects:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from clinic import services as clinic_services
    from clinic.models import Membership, Notification
    from exercise_media.tests.support import ready_picture, use_storage
    from monitoring.services import enrolment_start, time_entry_create
    from outcomes.plan_questionnaires import plan_questionnaire_add
    from patients.services import assignment_create, clinic_today, invitation_create
    from protocols.models import Phase, PrescribedExercise
    from protocols.services import protocol_archive
    from tests.factories import ExerciseTemplateFactory, MembershipFactory, PatientFactory, UserFactory, make_protocol

    a = world.clinic_a
    patient_a3 = PatientFactory(clinic=a, therapist=world.therapist_a, email="a3@a.test", user=None)
    _invitation, link = invitation_create(patient=patient_a3, created_by=world.therapist_a, send=False)
    user = world.patient_a2.user
    reset_link = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    invited = clinic_services.staff_invite(clinic=a, email="new@a.test", first_name="New",
                                               invited_by=world.admin_a).membership
    joiner = UserFactory(email="joiner@example.test")
    join_link = clinic_services.staff_join_link(clinic=a, user=joiner, role=Membership.Role.THERAPIST)
    active = MembershipFactory(clinic=a, role=Membership.Role.THERAPIST, user__email="other@a.test")
    inactive = MembershipFactory(clinic=a, role=Membership.Role.THERAPIST, user__email="gone@a.test")
    clinic_services.staff_deactivate(membership=inactive, by=world.admin_a)
    key_a, _raw = clinic_services.api_key_create(clinic=a, name="EHR")
    archived = make_protocol(clinic=a)
    protocol_archive(protocol=archived)
    phase = rows.protocol_a.phases.order_by("order").first()
    exercise = phase.exercises.order_by("order").first()
    # A second phase: phases can then be moved, and a patient on it moved to the next phase.
    second = Phase.objects.create(protocol=rows.protocol_a, order=1, name="Next", expected_weeks=2)
    PrescribedExercise.objects.create(phase=second, template=ExerciseTemplateFactory(), order=0, frequency_per_week=3)
    use_storage(settings, tmp_path)
    patient_a4 = PatientFactory(clinic=a, therapist=world.therapist_a)
    assignment_create(patient=patient_a4, protocol=rows.protocol_a, start_date=dt.date.today(), baseline_pain=2,
                      assigned_by=world.therapist_a)
    today = clinic_today(a)
    enrolment_start(patient=world.patient_a1, setup_date=today - dt.timedelta(days=5), enrolled_by=world.therapist_a,
                    today=today)
    entry = time_entry_create(patient=world.patient_a1, author=world.therapist_a, date=today, minutes=10,
                              activity="Reviewed the sessions", interactive=False, today=today)
    questionnaire = plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="sane",
                                           user=world.therapist_a)
    plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="psfs", user=world.therapist_a)
    return Objects(
        world=world, rows=rows, patient_a3=patient_a3, patient_a4=patient_a4,
        invitation_token=link.rstrip("/").rsplit("/", 1)[1],
        reset_link=reset_link, membership_invited=invited, joiner=joiner,
        staff_join_token=join_link.rstrip("/").rsplit("/", 1)[1], membership_active=active,
        membership_inactive=inactive,
        key_a=key_a, notification_failed=Notification.objects.create(
            clinic=a, kind=Notification.Kind.URGENT_FLAG, recipient=world.therapist_a, subject="Backstep: urgent flag",
            body="…", status=Notification.Status.FAILED, attempts=5, last_error="SMTPServerDisconnected"),
        protocol_archived=archived, phase_a=phase, exercise_a=exercise,
        step_a=exercise.ladder_steps.order_by("order").first(), time_entry_a1=entry,
        media_template_a=ready_picture(template=rows.template_a),
        media_patient_a1=ready_picture(exercise=world.assignment_a1.exercises.order_by("pk").first()),
        questionnaire_a1=questionnaire,
    )


# ---------------------------------------------------------------------------
# Every HTML route that takes POST: who posts, and where its form is
# ---------------------------------------------------------------------------


def none(o: Objects) -> dict:
    return {}


def pk(path: str) -> Callable[[Objects], dict]:
    def kwargs(o: Objects) -> dict:
        value = o
        for name in path.split("."):
            value = getattr(value, name)
        return {"pk": value.pk}
    return kwargs


def phase_kwargs(o: Objects) -> dict:
    return {"pk": o.rows.protocol_a.pk, "phase_pk": o.phase_a.pk}


def exercise_kwargs(o: Objects) -> dict:
    return {"pk": o.rows.protocol_a.pk, "exercise_pk": o.exercise_a.pk}


def reset_kwargs(o: Objects) -> dict:
    # Django's reset link puts its token in the session and continues at .../set-password/.
    return {"uidb64": o.reset_link.strip("/").split("/")[-2], "token": "set-password"}


def open_reset_link(o: Objects, client: Client) -> None:
    assert client.get(o.reset_link).status_code == 302


def authenticator_on(o: Objects, client: Client) -> None:
    """Therapist A has a confirmed authenticator; this session has not given a code yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=o.world.therapist_a, name="Authenticator", confirmed=True)


def authenticator_verified(o: Objects, client: Client) -> None:
    """As authenticator_on, and this session gave a code (so the account security page is open)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=o.world.therapist_a, name="Authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def timer_running(o: Objects, client: Client) -> None:
    """Therapist A's management timer runs on patient A1, so the patient page shows the stop form."""
    from monitoring.services import timer_start

    timer_start(user=o.world.therapist_a, patient=o.world.patient_a1)


def join_code_accepted(o: Objects, client: Client) -> None:
    """A code for patient A3 typed on this browser: the password step's form is there to fuzz."""
    _join_code, code = join_code_create(patient=o.patient_a3)
    client.post(reverse("patients:join"), {"code": code})


@dataclass(frozen=True)
class Target:
    """Who posts to a route, the URL's arguments, and where its form is when the route itself takes only POST."""

    actor: str  # anonymous, patient_a1, therapist_a, admin_a or joiner
    kwargs: Callable[[Objects], dict] = none
    form_page: str | None = None
    page_kwargs: Callable[[Objects], dict] | None = None  # default: the route's own
    prepare: Callable[[Objects, Client], None] | None = None
    has_form: bool = True
    # Fields the app may rightly accept any text in (not validated as a form field).
    free: frozenset[str] = frozenset()
    # Fields (and values) the view reads that the page does not show for this object, e.g. another action.
    hidden_from_page: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Fields left alone, because a valid value would lock the poster out of the rest of the run.
    omit: frozenset[str] = frozenset()


ROUTES: dict[str, Target] = {
    # The start page takes any method and only redirects by role: no form, but it must not crash either.
    "home": Target("therapist_a", has_form=False),
    # Signing in and out, passwords, two-factor (therapists; the views are the same for admins).
    "login": Target("anonymous"),
    "logout": Target("therapist_a", form_page="patients:list"),
    "password_reset": Target("anonymous"),
    "password_reset_confirm": Target("anonymous", reset_kwargs, prepare=open_reset_link),
    "two-factor-verify": Target("therapist_a", prepare=authenticator_on),
    "two-factor-setup": Target("therapist_a"),
    "recovery-codes-new": Target("therapist_a", form_page="account-security", prepare=authenticator_verified),
    "two-factor-off": Target("therapist_a", form_page="account-security", prepare=authenticator_verified),
    # Everyone's own language (the same page for patients and staff).
    "language": Target("patient_a1"),
    # Clinic administration.
    "clinic-admin:staff-invite": Target("admin_a"),
    # An existing account accepting a clinic's invitation: one button, nothing to validate.
    "staff-join": Target("joiner", lambda o: {"token": o.staff_join_token}),
    "clinic-admin:staff-resend": Target("admin_a", pk("membership_invited"), form_page="clinic-admin:staff",
                                        page_kwargs=none),
    "clinic-admin:staff-deactivate": Target("admin_a", pk("membership_active")),
    "clinic-admin:staff-reactivate": Target("admin_a", pk("membership_inactive")),
    # Requiring two-factor sends the admin to set it up before anything else (the two-factor pages are fuzzed
    # on their own), so that switch stays as it is.
    "clinic-admin:settings": Target("admin_a", omit=frozenset({"require_two_factor"})),
    "clinic-admin:api-key-create": Target("admin_a"),
    "clinic-admin:api-key-revoke": Target("admin_a", pk("key_a")),
    # "Retry now" on a failed staff e-mail: one button on the notifications page, nothing to validate.
    "clinic-admin:notification-retry": Target("admin_a", pk("notification_failed"),
                                              form_page="clinic-admin:notifications", page_kwargs=none),
    # The patient's phone, and the invitation link (signed out).
    "patients:log-session": Target("patient_a1"),
    # The patient's own session (logged moments ago: inside the 24 hours in which it can be changed).
    "patients:session-edit": Target("patient_a1", pk("rows.session_a1")),
    "patients:session-delete": Target("patient_a1", pk("rows.session_a1")),
    "patients:checkin": Target("patient_a1"),
    "patients:invitation": Target("anonymous", lambda o: {"token": o.invitation_token}),
    "patients:join": Target("anonymous"),
    "patients:join-password": Target("anonymous", prepare=join_code_accepted),
    # Reminders: the patient's settings, the clinic's defaults, the e-mail unsubscribe link (signed out).
    "reminders:settings": Target("patient_a1"),
    "reminders:clinic-defaults": Target("admin_a"),
    # This phone's push subscription: hidden forms on the reminders page, filled and posted by its script.
    "reminders:push-subscribe": Target("patient_a1", form_page="reminders:settings"),
    "reminders:push-unsubscribe": Target("patient_a1", form_page="reminders:settings"),
    "reminders:unsubscribe": Target("anonymous", lambda o: {"token": unsubscribe_token(o.world.patient_a1.pk)}),
    # The therapist's patient pages and flag inbox.
    "patients:create": Target("therapist_a"),
    "patients:edit": Target("therapist_a", pk("world.patient_a1")),
    "patients:assign": Target("therapist_a", pk("patient_a3")),
    "patients:end-plan": Target("therapist_a", pk("world.patient_a1"), form_page="patients:detail"),
    "patients:step-change": Target("therapist_a", pk("world.patient_a1"), form_page="patients:detail"),
    "patients:phase-change": Target("therapist_a", pk("patient_a4"), form_page="patients:detail"),
    "patients:measurement": Target("therapist_a", pk("world.patient_a1"), form_page="patients:detail"),
    "patients:invite": Target("therapist_a", pk("patient_a3"), form_page="patients:detail"),
    "patients:invite-revoke": Target("therapist_a", pk("patient_a3"), form_page="patients:detail"),
    "patients:join-code": Target("therapist_a", pk("patient_a3"), form_page="patients:detail"),
    "patients:flag-bulk": Target("therapist_a", form_page="patients:flags"),
    # The inbox shows a progression suggestion's approve and decline buttons; the view takes all four actions.
    "patients:flag-action": Target("therapist_a", pk("rows.flag_a1"), form_page="patients:flags", page_kwargs=none,
                                   hidden_from_page=(("action", ("acknowledge", "resolve")), ("note", ()))),
    # Exercise library and protocol builder.
    "protocols:template-create": Target("therapist_a"),
    "protocols:template-edit": Target("therapist_a", pk("rows.template_a")),
    "protocols:template-clone": Target("therapist_a", pk("rows.template_a"), form_page="protocols:template-detail"),
    "protocols:create": Target("therapist_a"),
    "protocols:edit": Target("therapist_a", pk("rows.protocol_a")),
    "protocols:clone": Target("therapist_a", pk("rows.protocol_a"), form_page="protocols:detail"),
    "protocols:archive": Target("therapist_a", pk("rows.protocol_a"), form_page="protocols:detail"),
    "protocols:restore": Target("therapist_a", pk("protocol_archived"), form_page="protocols:detail"),
    "protocols:delete": Target("therapist_a", pk("rows.protocol_a")),
    "protocols:phase-add": Target("therapist_a", pk("rows.protocol_a")),
    "protocols:phase-edit": Target("therapist_a", phase_kwargs),
    "protocols:phase-remove": Target("therapist_a", phase_kwargs),
    "protocols:phase-move": Target("therapist_a", phase_kwargs, form_page="protocols:detail",
                                   page_kwargs=pk("rows.protocol_a")),
    "protocols:exercise-add": Target("therapist_a", phase_kwargs),
    "protocols:exercise-edit": Target("therapist_a", exercise_kwargs),
    "protocols:exercise-remove": Target("therapist_a", exercise_kwargs),
    "protocols:exercise-move": Target("therapist_a", exercise_kwargs, form_page="protocols:detail",
                                      page_kwargs=pk("rows.protocol_a")),
    # Its "action" button only tells "save" from "preview": any other value previews, rightly without an error.
    "protocols:ladder": Target("therapist_a", exercise_kwargs, free=frozenset({"action"})),
    "protocols:step-edit": Target("therapist_a", lambda o: {"pk": o.rows.protocol_a.pk, "step_pk": o.step_a.pk}),
    # Remote monitoring: patient A1 is enrolled (with therapist A's time entry); patient A4 has a plan, not enrolled.
    "monitoring:enrol": Target("therapist_a", pk("patient_a4")),
    "monitoring:unenrol": Target("therapist_a", pk("world.patient_a1")),
    "monitoring:timer-start": Target("therapist_a", pk("world.patient_a1"), form_page="patients:detail"),
    "monitoring:timer-stop": Target("therapist_a", pk("world.patient_a1"), form_page="patients:detail",
                                    prepare=timer_running),
    "monitoring:time-add": Target("therapist_a", pk("world.patient_a1")),
    "monitoring:time-edit": Target("therapist_a", pk("time_entry_a1")),
    "monitoring:time-delete": Target("therapist_a", pk("time_entry_a1")),
    # Exercise media: uploads (multipart; the fuzzer's text in the file field is refused in words), removal, and
    # the clinic admin's education texts (its "action" button only tells reset from save).
    "exercise_media:template-media": Target("therapist_a", pk("rows.template_a")),
    "exercise_media:template-media-delete": Target(
        "therapist_a", lambda o: {"pk": o.rows.template_a.pk, "media_pk": o.media_template_a.pk},
        form_page="exercise_media:template-media", page_kwargs=pk("rows.template_a")),
    "exercise_media:patient-media": Target("therapist_a", pk("world.patient_a1")),
    "exercise_media:patient-media-delete": Target(
        "therapist_a", lambda o: {"pk": o.world.patient_a1.pk, "media_pk": o.media_patient_a1.pk},
        form_page="exercise_media:patient-media", page_kwargs=pk("world.patient_a1")),
    # Questionnaires: the patient page's plan panel (add, skip), and the phone's questionnaire (no script: the
    # whole form posts at once; PSFS's activities form posts to the answer-save route).
    "outcomes:plan-add": Target("therapist_a", pk("world.patient_a1")),
    "outcomes:plan-skip": Target("therapist_a", lambda o: {"pk": o.world.patient_a1.pk, "row": o.questionnaire_a1.pk},
                                 form_page="patients:detail", page_kwargs=pk("world.patient_a1")),
    # The protocol's questionnaires: its add form (a remove button per row; none on the page yet).
    "outcomes:protocol-questionnaires": Target("therapist_a", pk("rows.protocol_a"),
                                               hidden_from_page=(("action", ("remove",)),)),
    "outcomes:answer": Target("patient_a1", lambda o: {"instrument_id": "sane"}),
    "outcomes:answer-save": Target("patient_a1", lambda o: {"instrument_id": "psfs"}, form_page="outcomes:answer"),
    "exercise_media:education-edit": Target("admin_a", lambda o: {"topic": "first-session"},
                                            free=frozenset({"action"})),
    # Outcomes: importing a FHIR Questionnaire (multipart; the fuzzer's text in the file field is refused in words).
    "outcomes:questionnaire-import": Target("admin_a"),
    # The clinic's change thresholds: one small form per scale (the reset button shows once a value is set).
    "outcomes:thresholds": Target("admin_a", hidden_from_page=(("action", ("reset",)),)),
    # FHIR exports (the whole clinic or a caseload chosen from a list) and erasure (a typed confirmation).
    "interop:export-start": Target("admin_a", form_page="interop:exports"),
    "interop:patient-erase": Target("admin_a", pk("world.patient_a1")),
}
# Fields no route validates as a form field: the CSRF token (not checked by the test client) and where to go next.
FREE_EVERYWHERE = frozenset({"csrfmiddlewaretoken", "next"})
