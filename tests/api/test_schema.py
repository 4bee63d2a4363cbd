"""The OpenAPI schema: generated with no warnings, served at /api/schema/, documented at /api/docs/ with local
assets only, and honoured by the app (a schemathesis run finds no server error and no off-schema response)."""

import io
import re

import pytest
import schemathesis
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from clinic.clock import clinic_today
from clinic.models import AuditEvent
from outcomes.answering import response_submit
from outcomes.plan_questionnaires import plan_questionnaire_add
from tests.api.support import progression_flag, rows, sessions_for, walk  # noqa: F401 (fixtures)
from tests.factories import PatientFactory

RESOURCES = ["exercise-templates", "protocols", "patients", "me", "assignments", "sessions", "checkins",
             "measurements", "flags"]


def test_schema_generates_with_no_warnings_or_errors():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # drf-spectacular collects what it would print as warnings and errors here.
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in schema["paths"], resource


def test_spectacular_command_validates_with_fail_on_warn(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stdout=io.StringIO(),
                 stderr=io.StringIO())
    text = target.read_text()
    assert "/api/v1/sessions/" in text and "Idempotency-Key" in text


@pytest.mark.django_db
def test_schema_endpoint_serves_openapi(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert {"ApiKeyAuth", "cookieAuth"} <= set(body["components"]["securitySchemes"])


@pytest.mark.django_db
def test_docs_render_with_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources, sources
    assert all(src.startswith("/static/") for src in sources), sources
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)  # no other host, anywhere
    # Configuration travels in data- attributes: the CSP allows no inline script (templates/drf_spectacular/).
    assert 'data-schema-url="/api/schema/"' in html


# ---------------------------------------------------------------------------
# Schemathesis: the app against its own schema
# ---------------------------------------------------------------------------

# Positive data only (schema-valid requests), a few examples per operation and identity: the run stays well
# under a minute. The checks: no 5xx, and every documented response matches its schema.
EXAMPLES = 5
CHECKS = [not_a_server_error, response_schema_conformance]
CONFIG = {"generation": {"mode": "positive", "deterministic": True}}


def browser_session(client_user):
    """Cookies and headers of a signed-in browser: the session cookie and a CSRF token (DRF checks it)."""
    from django.conf import settings as django_settings
    from django.middleware.csrf import _get_new_csrf_string
    from rest_framework.test import APIClient

    browser = APIClient()
    browser.force_login(client_user)
    token = _get_new_csrf_string()
    cookies = {django_settings.SESSION_COOKIE_NAME: browser.cookies[django_settings.SESSION_COOKIE_NAME].value,
               django_settings.CSRF_COOKIE_NAME: token}
    return cookies, {"X-CSRFToken": token}


def run_operations(schema, *, cookies, headers, ids_by_prefix, include, bodies=None) -> list[str]:
    """Run every included operation with generated data; return the failures, labelled.

    `bodies` (by operation label) fixes the request body, so that the success
    responses of writes are checked too, not only their 400s.
    """
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not include(operation.path) or (bodies is not None and operation.label not in bodies):
            continue
        path_parameters = {}
        if "{id}" in operation.path:
            prefix = operation.path.split("{id}")[0]
            path_parameters = {"id": ids_by_prefix[prefix]}
        fixed = {} if bodies is None else {"body": bodies[operation.label], "media_type": "application/json"}
        strategy = operation.as_strategy(cookies=cookies, path_parameters=path_parameters, **fixed)

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collect every failure, report them all
            failures.append(f"{operation.label}: {error}")
    return failures


@pytest.fixture
def wsgi_app():
    """The real WSGI app, sharing the test's database connection (and transaction), as Django's test client does.

    Django closes old connections at the start and end of each request; with
    PostgreSQL that would close the test's connection in the middle of its
    transaction, so those handlers are off while the app is driven here.
    """
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def answered_questionnaire(world):
    """Patient A1's submitted SANE, for the questionnaire responses' operations."""
    plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="sane", user=world.therapist_a)
    return response_submit(patient=world.patient_a1, instrument_id="sane", today=clinic_today(world.clinic_a),
                           answers={"SANE": 70})[0]


def test_app_honours_its_schema(world, rows, eager_celery, wsgi_app):
    """Schema-valid requests as therapist A (every operation) and as patient A1 (their own operations),
    then valid bodies for the writes, so that their success responses are checked as well."""
    sessions_for(world.assignment_a1, count=3)
    unseen_flag = progression_flag(world.assignment_a2)  # still open when the fixed bodies run
    audit_event = AuditEvent.objects.create(clinic=world.clinic_a, user=world.therapist_a, actor_role="therapist",
                                            action="read", method="GET", route="patients:list",
                                            object_type="patient", status_code=200)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app,
                                            config=schemathesis.Config.from_dict(CONFIG))
    response_a1 = answered_questionnaire(world)
    ids_by_prefix = {
        "/api/v1/outcomes/responses/": response_a1.pk,
        "/api/v1/exercise-templates/": rows.template_a.pk, "/api/v1/protocols/": rows.protocol_a.pk,
        "/api/v1/patients/": world.patient_a1.pk, "/api/v1/assignments/": world.assignment_a1.pk,
        "/api/v1/audit-events/": audit_event.pk,
        "/api/v1/sessions/": rows.session_a1.pk, "/api/v1/checkins/": rows.checkin_a1.pk,
        "/api/v1/measurements/": rows.measurement_a1.pk, "/api/v1/flags/": rows.flag_a1.pk,
    }
    patient_paths = ("/api/v1/me/", "/api/v1/sessions/", "/api/v1/checkins/", "/api/v1/assignments/")
    patient = {"first_name": "Sam", "last_name": "Test", "condition": "pfp", "side": "left"}
    staff_bodies = {
        "POST /api/v1/patients/": patient,
        "PUT /api/v1/patients/{id}/": {**patient, "therapist": world.therapist_a.pk},
        "POST /api/v1/assignments/": {"patient": PatientFactory(clinic=world.clinic_a).pk,
                                      "protocol": world.assignment_a1.protocol_id, "baseline_pain": 2},
        "POST /api/v1/measurements/": {"patient": world.patient_a1.pk, "effusion": "trace", "rom_pct": 95},
        "PUT /api/v1/protocols/{id}/phases/": {"phases": [{"name": "One", "exercises": [
            {"template": rows.template_a.pk}]}]},
        "POST /api/v1/flags/{id}/decline/": {"note": "Not yet."},
    }
    patient_bodies = {
        "POST /api/v1/sessions/": {"exercise": walk(world.assignment_a1).pk, "duration_min": 10,
                                   "pain_during": 1, "pain_after": 1},
        "POST /api/v1/checkins/": {"pain": 2},
    }
    failures = []
    for user, include, bodies in (
        (world.therapist_a, lambda path: True, None),
        (world.patient_a1.user, lambda path: path.startswith(patient_paths), None),
        (world.therapist_a, lambda path: True, staff_bodies),
        (world.patient_a1.user, lambda path: path.startswith(patient_paths), patient_bodies),
    ):
        if bodies is not None:
            ids_by_prefix["/api/v1/flags/"] = unseen_flag.pk
        cookies, headers = browser_session(user)
        failures += run_operations(schema, cookies=cookies, headers=headers, ids_by_prefix=ids_by_prefix,
                                   include=include, bodies=bodies)
    assert not failures, "\n\n".join(failures)
