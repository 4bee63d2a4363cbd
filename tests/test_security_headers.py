"""Security headers on every kind of response, and no inline code on any page (the CSP would block it).

The page sweep walks the URL resolver, so a new page is checked as soon as it
exists; a new route with URL arguments fails until it gets sample arguments in
the `pages` fixture below.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinic.headers import CONTENT_SECURITY_POLICY
from reminders.mail import unsubscribe_token

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
# Django's admin is checked in a browser (tests/browser/test_csp.py); the API answers JSON.
SKIPPED_PREFIXES = ("admin/", "api/")


def assert_security_headers(response, *, page: bool = True) -> None:
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    if page:  # static files skip XFrameOptionsMiddleware; their CSP's frame-ancestors covers them
        assert response["X-Frame-Options"] == "DENY"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


# --- headers ---------------------------------------------------------------

def test_headers_on_a_page(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_security_headers(response)


def test_headers_on_a_signed_in_page(client, world):
    client.force_login(world.therapist_a)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 200
    assert_security_headers(response)


def test_headers_on_the_api(client, world):
    assert_security_headers(client.get("/api/v1/patients/"))  # 401, no credentials
    client.force_login(world.therapist_a)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert_security_headers(client.get("/api/schema/"))


def test_headers_on_error_pages(client, world):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_security_headers(response)
    client.force_login(world.patient_a1.user)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 403
    assert_security_headers(response)


def test_headers_on_static_files(client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic
    response = client.get("/static/css/backstep.css")
    assert response.status_code == 200
    assert_security_headers(response, page=False)


def test_headers_on_the_health_check(client):
    assert_security_headers(client.get(reverse("healthz")))


def test_debug_pages_get_a_policy_that_lets_them_render(client, settings):
    """DEBUG's technical 404 page is inline code; it still gets a CSP (production refuses DEBUG)."""
    settings.DEBUG = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy and "frame-ancestors 'none'" in policy


# --- no inline code ----------------------------------------------------------

class InlineCodeFinder(HTMLParser):
    """Collects everything a script-src/style-src 'self' policy would block."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler attribute")
            elif name == "style":
                self.problems.append(f"<{tag} style=…> attribute")
            elif name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.problems.append("<style> block")
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self.problems.append("inline <script> (only src= or type=application/json data are allowed)")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_finder_finds_inline_code():
    html = (
        '<div style="color:red" onclick="x()"><style>p{}</style><script>alert(1)</script>'
        '<a href="javascript:void(0)">x</a><script src="/static/a.js"></script>'
        '<script id="d" type="application/json">{"a": 1}</script></div>'
    )
    assert len(inline_code(html)) == 5


def route_names() -> list[tuple[str, set[str]]]:
    """Every named route outside the admin and the API, with its URL argument names."""
    found: list[tuple[str, set[str]]] = []

    def walk(patterns, prefix: str, namespace: str):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, route, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                found.append((namespace + entry.name, set(entry.pattern.converters) | set(
                    re.findall(r"<(?:\w+:)?(\w+)>", route))))

    walk(get_resolver().url_patterns, "", "")
    return found


def monitoring_kwargs(world) -> dict:
    """Patient A1 enrolled in remote monitoring, with therapist A's time entry and running timer."""
    from monitoring.services import enrolment_start, time_entry_create, timer_start
    from patients.services import clinic_today

    today = clinic_today(world.clinic_a)
    enrolment_start(patient=world.patient_a1, setup_date=today - dt.timedelta(days=5), enrolled_by=world.therapist_a,
                    today=today)
    entry = time_entry_create(patient=world.patient_a1, author=world.therapist_a, date=today, minutes=10,
                              activity="Reviewed the sessions", interactive=True, today=today)
    timer_start(user=world.therapist_a, patient=world.patient_a1)  # the patient page then shows the running clock
    return {"monitoring:time-edit": {"pk": entry.pk}, "monitoring:time-delete": {"pk": entry.pk}}


def outcomes_kwargs(world) -> dict:
    """SANE on patient A1's plan, answered once (so the phone's questionnaire pages and the charts show)."""
    from clinic.clock import clinic_today
    from outcomes.answering import response_submit
    from outcomes.plan_questionnaires import plan_questionnaire_add

    row = plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="sane", user=world.therapist_a)
    plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="groc", user=world.therapist_a)
    response_submit(patient=world.patient_a1, instrument_id="sane", today=clinic_today(world.clinic_a),
                    answers={"SANE": 60})
    return {
        "outcomes:plan-add": {"pk": world.patient_a1.pk},
        "outcomes:plan-skip": {"pk": world.patient_a1.pk, "row": row.pk},
        "outcomes:answer": {"instrument_id": "groc"},
        "outcomes:answer-save": {"instrument_id": "groc"},
        "outcomes:answered": {"instrument_id": "sane"},
        "outcomes:protocol-questionnaires": {"pk": world.assignment_a1.protocol_id},
    }


def media_kwargs(world, settings, tmp_path, *, template, exercise) -> dict:
    """A picture of clinic A's template and one made for patient A1's exercise, in a private test storage."""
    from exercise_media.tests.support import ready_picture, use_storage

    use_storage(settings, tmp_path)
    template_picture = ready_picture(template=template)
    plan_picture = ready_picture(exercise=exercise)
    return {
        "exercise_media:demonstration": {"name": "retro-treadmill-walk"},
        "exercise_media:template-media": {"pk": template.pk},
        "exercise_media:template-media-delete": {"pk": template.pk, "media_pk": template_picture.pk},
        "exercise_media:patient-media": {"pk": world.patient_a1.pk},
        "exercise_media:patient-media-delete": {"pk": world.patient_a1.pk, "media_pk": plan_picture.pk},
        "exercise_media:status": {"pk": plan_picture.pk},
        "exercise_media:file": {"pk": template_picture.pk, "variant": "file"},
        "exercise_media:patient-file": {"pk": plan_picture.pk, "variant": "thumbnail"},
        "exercise_media:education-edit": {"topic": "after-pain"},
    }


def fhir_kwargs(world, *, session, flag, protocol, template) -> dict:
    """The FHIR API: one of clinic A's resources of each type, patient A1's $everything, an unknown address.
    (Patient A1's submitted SANE comes from outcomes_kwargs, built first.)"""
    from outcomes.models import QuestionnaireResponse

    response = QuestionnaireResponse.objects.get(patient=world.patient_a1, status="submitted")
    ids = {"Patient": world.patient_a1.pk, "CarePlan": world.assignment_a1.pk, "Observation": f"session-{session.pk}",
           "Flag": flag.pk, "Organization": world.clinic_a.pk, "Practitioner": world.therapist_a.pk,
           "PlanDefinition": protocol.pk, "ActivityDefinition": template.pk, "Questionnaire": "sane-1",
           "QuestionnaireResponse": response.pk}
    return {
        **{f"fhir:{fhir_type}-read": {"resource_id": str(pk)} for fhir_type, pk in ids.items()},
        "fhir:Patient-everything": {"resource_id": str(world.patient_a1.pk)},
        "fhir:not-found": {"rest": "Medication"},
    }


@pytest.fixture
def pages(world, settings, tmp_path):
    """Sample URL arguments for every route that takes some, pointing at clinic A's rows.

    A long list rather than a long function: one sample row per route family; the remote-monitoring,
    questionnaire and media rows are built by their own helpers above.
    """
    from clinic.models import Membership, Notification
    from clinic.services import api_key_create, staff_join_link
    from patients.models import Flag
    from patients.services import invitation_create
    from tests.factories import ExerciseTemplateFactory, PatientFactory, SessionLogFactory, UserFactory, make_protocol

    exercise = world.assignment_a1.exercises.get(order=0, phase__order=0)
    session = SessionLogFactory(exercise=exercise, pain_during=3)
    flag = Flag.objects.create(patient=world.patient_a1, exercise=exercise, kind=Flag.Kind.PROGRESSION,
                               severity=Flag.Severity.INFO, decision="progress", suggested_step=1,
                               reasons=["Pain stayed low"], basis="test")
    protocol = make_protocol(clinic=world.clinic_a)
    phase = protocol.phases.get(order=0)
    prescribed = phase.exercises.get(order=0)
    step = prescribed.ladder_steps.get(order=0)
    template = ExerciseTemplateFactory(clinic=world.clinic_a)
    staff = Membership.objects.get(user=world.therapist_a)
    key, _raw = api_key_create(clinic=world.clinic_a, name="Reports", created_by=world.admin_a)
    failed = Notification.objects.create(clinic=world.clinic_a, kind=Notification.Kind.URGENT_FLAG,
                                         recipient=world.therapist_a, subject="Backstep: urgent flag", body="…",
                                         status=Notification.Status.FAILED, attempts=5,
                                         last_error="SMTPServerDisconnected")
    invited = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="new@patient.test")
    _invitation, link = invitation_create(patient=invited, send=False)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    join = staff_join_link(clinic=world.clinic_a, user=UserFactory(email="joiner@example.test"), role="therapist")
    kwargs = {
        **monitoring_kwargs(world),
        **outcomes_kwargs(world),
        **media_kwargs(world, settings, tmp_path, template=template, exercise=exercise),
        "staff-join": {"token": join.rstrip("/").rsplit("/", 1)[-1]},
        "patients:session-saved": {"pk": session.pk},
        "patients:invitation": {"token": token},
        "reminders:unsubscribe": {"token": unsubscribe_token(world.patient_a1.pk)},
        "patients:flag-action": {"pk": flag.pk},
        "protocols:template-detail": {"pk": template.pk},
        "protocols:template-edit": {"pk": template.pk},
        "protocols:template-clone": {"pk": template.pk},
        "protocols:phase-edit": {"pk": protocol.pk, "phase_pk": phase.pk},
        "protocols:phase-remove": {"pk": protocol.pk, "phase_pk": phase.pk},
        "protocols:phase-move": {"pk": protocol.pk, "phase_pk": phase.pk},
        "protocols:exercise-add": {"pk": protocol.pk, "phase_pk": phase.pk},
        "protocols:exercise-edit": {"pk": protocol.pk, "exercise_pk": prescribed.pk},
        "protocols:exercise-remove": {"pk": protocol.pk, "exercise_pk": prescribed.pk},
        "protocols:exercise-move": {"pk": protocol.pk, "exercise_pk": prescribed.pk},
        "protocols:ladder": {"pk": protocol.pk, "exercise_pk": prescribed.pk},
        "protocols:step-edit": {"pk": protocol.pk, "step_pk": step.pk},
        "clinic-admin:api-key-revoke": {"pk": key.pk},
        "clinic-admin:notification-retry": {"pk": failed.pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"},
        **fhir_kwargs(world, session=session, flag=flag, protocol=protocol, template=template),
        "fhir:group-export": {"group_id": world.therapist_a.pk},
        "fhir:export-status": {"pk": 1},
        "fhir:export-file": {"pk": 1, "file_pk": 1},
        "interop:patient-record": {"pk": world.patient_a1.pk},
        "interop:patient-erase": {"pk": world.patient_a1.pk},
        "offline-language": {"language": "de"},
        "js-catalog": {"language": "de", "version": "any"},
    }
    for name, arguments in route_names():
        if name in kwargs or not arguments:
            continue
        if name.startswith(("patients:", "monitoring:")) and arguments == {"pk"}:
            kwargs[name] = {"pk": world.patient_a1.pk}
        elif name.startswith("protocols:") and arguments == {"pk"}:
            kwargs[name] = {"pk": protocol.pk}
        elif name.startswith("clinic-admin:staff-") and arguments == {"pk"}:
            kwargs[name] = {"pk": staff.pk}
    return kwargs


def urls_for(kwargs: dict) -> list[str]:
    urls = []
    for name, arguments in route_names():
        if arguments and name not in kwargs:
            pytest.fail(f"route {name!r} takes {sorted(arguments)}: add sample arguments to the `pages` fixture")
        urls.append(reverse(name, kwargs=kwargs.get(name)))
    return urls


def sweep(client, urls) -> dict[str, list[str]]:
    """GET every URL; return the inline code found on each HTML page, and check headers everywhere."""
    found, html_pages = {}, 0
    for url in urls:
        response = client.get(url)
        assert_security_headers(response)
        if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
            html_pages += 1
            problems = inline_code(response.content.decode())
            if problems:
                found[f"{url} ({response.status_code})"] = problems
    assert html_pages > 5
    return found


@pytest.mark.parametrize("who", ["therapist", "admin", "patient", "anonymous"])
def test_no_page_has_inline_code(client, world, pages, who):
    user = {"therapist": world.therapist_a, "admin": world.admin_a, "patient": world.patient_a1.user,
            "anonymous": None}[who]
    if user is not None:
        client.force_login(user)
    assert sweep(client, urls_for(pages)) == {}


def test_pages_shown_after_a_form_have_no_inline_code(client, world):
    """Pages only a POST renders: a patient's invitation link, a new API key, an invited colleague."""
    from tests.factories import PatientFactory

    invited = PatientFactory(clinic=world.clinic_a, therapist=world.admin_a, email="new@patient.test")
    client.force_login(world.admin_a)
    responses = [
        client.post(reverse("patients:invite", kwargs={"pk": invited.pk})),
        client.post(reverse("clinic-admin:api-key-create"), {"name": "Reports", "expires_days": ""}),
        client.post(reverse("clinic-admin:staff-invite"),
                    {"email": "new@a.test", "first_name": "Nia", "last_name": "New", "role": "therapist"}),
    ]
    for response in responses:
        assert response.status_code == 200, response.status_code
        assert_security_headers(response)
        assert inline_code(response.content.decode()) == []


TEMPLATE_COMMENTS = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
TEMPLATE_RULES = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on…= event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"=\s*[\"']?\s*javascript:", re.I),
}


def test_no_template_has_inline_code():
    """Every template, including pages the sweep cannot reach (e-mails are plain text and exempt)."""
    found = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        source = TEMPLATE_COMMENTS.sub("", path.read_text())
        problems = [label for label, rule in TEMPLATE_RULES.items() if rule.search(source)]
        if problems:
            found[str(path.relative_to(ROOT))] = problems
    assert found == {}


@pytest.mark.django_db
def test_api_answers_json_even_to_a_browser(world):
    """No browsable-API HTML (its inline styles break the CSP); the interactive view is /api/docs/."""
    from django.test import Client

    client = Client()
    client.force_login(world.therapist_a)
    response = client.get("/api/v1/patients/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
