"""Schemathesis over the whole API as each authenticated actor, with all of its checks.

tests/api/test_schema.py runs schema-valid requests with two checks. Here the
full schemathesis engine runs as therapist A, clinic admin A, patient A1 and an
API key of clinic A: examples, coverage (boundary and invalid values, missing
fields, undeclared methods), fuzzing (valid and invalid data) and stateful
sequences (create, then read what was created). Every response is checked for
a server error and against the schema (status code, content type, headers,
body), invalid data must be refused, valid data accepted, and authentication
enforced. A check is only switched off where it cannot apply, with the reason
next to it.

The engine sends requests from a worker thread; the app runs in-process (WSGI)
on the test's own database connection, so it sees the test's rows and its
writes are rolled back with the test.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from schemathesis.engine import Status, events, from_schema

from tests.api.support import forget_throttle_history, progression_flag, rows, sessions_for  # noqa: F401 (fixtures)
from tests.api.test_schema import browser_session, wsgi_app  # noqa: F401 (fixture)

# Examples per operation and generation mode; stateful scenarios have at most this many steps. Together with the
# coverage phase (which enumerates boundary and invalid values by itself) this keeps each actor's run short.
# Raise SCHEMATHESIS_EXAMPLES for a deeper local search.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
MAX_STEPS = 8

CHECKS = {
    "not_a_server_error": {},
    "status_code_conformance": {},
    "content_type_conformance": {},
    "response_headers_conformance": {},
    "response_schema_conformance": {},
    "negative_data_rejection": {},
    "positive_data_acceptance": {},
    "missing_required_header": {},
    "unsupported_method": {},
    "allow_header_conformance": {},
    "ignored_auth": {},
    "use_after_free": {},
    "ensure_resource_availability": {},
    "object_level_authorization": {},
    # Not set: max_response_time. Response times are measured by `make bench` against targets; a limit here,
    # on a shared CI machine, would fail on load rather than on the API.
}

# Schema-valid requests these operations rightly refuse with 400, because what makes them acceptable is not in
# the schema: rows that must exist (ids in the body), the state of a row, or rules across several fields.
POSITIVE_DATA_NOT_ENOUGH = {
    "POST /api/v1/patients/": "the therapist must be one of the clinic's; after ACL reconstruction a surgery "
                              "date is required; dates within clinic/dates.py's ranges around today",
    "PUT /api/v1/patients/{id}/": "as POST /api/v1/patients/",
    "PATCH /api/v1/patients/{id}/": "as POST /api/v1/patients/",
    "POST /api/v1/assignments/": "patient and protocol must exist for the caller; one running plan per patient; "
                                 "the start date within clinic/dates.py's range around today",
    "POST /api/v1/sessions/": "the exercise must be in the patient's current phase; back-dating is limited to "
                              "14 days",
    "POST /api/v1/checkins/": "the morning must be within the last 14 days",
    "PUT /api/v1/checkins/{id}/": "a check-in's date cannot change",
    "PATCH /api/v1/checkins/{id}/": "a check-in's date cannot change",
    "POST /api/v1/measurements/": "the patient must exist for the caller; the date within clinic/dates.py's range",
    "POST /api/v1/protocols/": "protocol names are unique within a clinic",
    "PUT /api/v1/protocols/{id}/": "as POST /api/v1/protocols/",
    "PATCH /api/v1/protocols/{id}/": "as POST /api/v1/protocols/",
    "PUT /api/v1/protocols/{id}/phases/": "templates must exist for the caller; ladders must rise step by step",
    "POST /api/v1/protocols/{id}/clone/": "the copy's name must be free in the clinic",
    "POST /api/v1/protocols/{id}/archive/": "an archived protocol cannot be archived again",
    "POST /api/v1/flags/{id}/acknowledge/": "only an open flag can be acknowledged",
    "POST /api/v1/flags/{id}/approve/": "only an unresolved progression suggestion can be approved",
    "POST /api/v1/flags/{id}/decline/": "only an unresolved progression suggestion can be declined",
    "POST /api/v1/flags/{id}/resolve/": "a resolved flag cannot be resolved again",
    "POST /api/v1/progression/simulate/": "the engine's input rules (current step within the ladder, a surgery "
                                          "date after ACL reconstruction, ...) are checked by the engine",
    "GET /api/v1/reports/adherence/": "start must not be after end, the window is at most 366 days, and both within "
                                      "clinic/dates.py's report range around today",
    "GET /api/v1/reports/rtm/": "as GET /api/v1/reports/adherence/",
    "GET /api/v1/audit-events/": "user and api_key must be a member and a key of the caller's clinic",
    "POST /api/v1/outcomes/score/": "the answers must name the chosen instrument's items, with values each item "
                                    "allows (they differ per instrument)",
}


@dataclass
class Actor:
    """How one actor signs in, and which operations are its own (run through the coverage phase too)."""

    own: list[str]
    path_ids: dict[str, int]  # path prefix -> id of one of clinic A's rows
    user: object | None = None  # signs in with a browser session...
    api_key: str | None = None  # ...or sends this API key


def _labels(schema_json: dict, predicate) -> list[str]:
    return sorted(f"{method.upper()} {path}" for path, item in schema_json["paths"].items() for method in item
                  if predicate(method.upper(), path))


def make_actor(name: str, world, rows, schema_json) -> Actor:
    """The actor's credentials, its own operations, and ids of clinic A's rows for the path parameters.

    Each operation is run through the coverage phase as one actor only: the
    one whose operation it is (a patient's logging, the admin's audit trail, a
    key's report, the staff's everything else). PATCH shares PUT's serializer,
    so PUT stands for both there.
    """
    clinic_a_ids = {
        "/api/v1/exercise-templates/": rows.template_a.pk, "/api/v1/protocols/": rows.protocol_a.pk,
        "/api/v1/patients/": world.patient_a1.pk, "/api/v1/assignments/": world.assignment_a1.pk,
        "/api/v1/sessions/": rows.session_a1.pk, "/api/v1/checkins/": rows.checkin_a1.pk,
        "/api/v1/measurements/": rows.measurement_a1.pk, "/api/v1/flags/": rows.flag_a1.pk,
    }
    patients_own = ("POST /api/v1/sessions/", "POST /api/v1/checkins/", "PUT /api/v1/checkins/{id}/",
                    "GET /api/v1/me/")
    if name == "key_a":
        from clinic.services import api_key_create

        _key, raw = api_key_create(clinic=world.clinic_a, name="schemathesis")
        return Actor(own=["GET /api/v1/reports/adherence/", "GET /api/v1/reports/rtm/"], path_ids=clinic_a_ids,
                     api_key=raw)
    user = {"therapist_a": world.therapist_a, "admin_a": world.admin_a, "patient_a1": world.patient_a1.user}[name]
    if name == "patient_a1":
        own = list(patients_own)
    elif name == "admin_a":
        own = _labels(schema_json, lambda method, path: path.startswith("/api/v1/audit-events/"))
    else:
        own = _labels(schema_json, lambda method, path: method != "PATCH" and f"{method} {path}" not in (
            *patients_own, "GET /api/v1/reports/adherence/", "GET /api/v1/reports/rtm/")
            and not path.startswith("/api/v1/audit-events/"))
    return Actor(own=own, path_ids=clinic_a_ids, user=user)


def engine_config(actor: Actor, session_cookie: str | None, csrf_token: str | None) -> dict:
    # Explicit credentials: ignored_auth then checks that leaving them out (or sending wrong ones) is refused.
    credentials = ({"ApiKeyAuth": {"api_key": f"Api-Key {actor.api_key}"}} if actor.api_key
                   else {"cookieAuth": {"api_key": session_cookie}})
    operations = [
        # Boundary and invalid values only for the actor's own operations: elsewhere it is refused (403) before
        # anything in the request is looked at, and fuzzing covers that.
        {"exclude-name": actor.own, "phases": {"coverage": {"enabled": False}}},
        *({"include-name": label, "checks": {"positive_data_acceptance": {"enabled": False}}}
          for label in POSITIVE_DATA_NOT_ENOUGH),
        *({"include-path": f"{prefix}{{id}}/", "parameters": {"path.id": pk}}
          for prefix, pk in actor.path_ids.items()),
        *({"include-path-regex": f"^{prefix}\\{{id\\}}/[a-z-]+/$", "parameters": {"path.id": pk}}
          for prefix, pk in actor.path_ids.items()),
    ]
    return {
        "workers": 1,
        "continue-on-failure": True,
        "cache": {"enabled": False},  # no .schemathesis/ directory in the work tree
        "auth": {"openapi": credentials},
        "headers": {"X-CSRFToken": csrf_token} if csrf_token else {},
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"max-steps": MAX_STEPS}},
        "checks": CHECKS,
        "operations": operations,
    }


class InProcessApp:
    """The WSGI app, called from the engine's worker thread on the test's database connection.

    A browser always sends its CSRF cookie along with the session cookie; the
    engine sends only the credential the schema declares, so the cookie is added
    here. It is not a credential: without the session the request is anonymous.
    """

    def __init__(self, app, connection, csrf_token: str | None):
        self.app = app
        self.connection = connection
        self.csrf_token = csrf_token
        self.requests = 0

    def __call__(self, environ, start_response):
        from django.db import connections

        connections["default"] = self.connection
        self.requests += 1
        if self.csrf_token:
            cookie = environ.get("HTTP_COOKIE", "")
            environ["HTTP_COOKIE"] = f"{cookie}; csrftoken={self.csrf_token}" if cookie else (
                f"csrftoken={self.csrf_token}")
        return self.app(environ, start_response)


@pytest.fixture
def probes_without_socket_options(monkeypatch):
    """Work around schemathesis 4 sending socket options to the in-process WSGI client in ignored_auth's probes.

    The probes drop the requests session but keep max_redirects & co., which
    werkzeug's test client does not take; its normal requests never carry them.
    """
    from schemathesis.transport.wsgi import WSGI_TRANSPORT

    send = WSGI_TRANSPORT.send

    def send_without_socket_options(case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(case, session=session, **kwargs)

    monkeypatch.setattr(WSGI_TRANSPORT, "send", send_without_socket_options)


@dataclass
class Run:
    failures: list[str]
    errors: list[str]
    operations: int
    requests: int
    by_phase: dict[str, int]
    seconds: float


def run_engine(app, config: dict) -> Run:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app,
                                            config=schemathesis.Config.from_dict(config))
    failures, errors, operations, by_phase, started = [], [], set(), {}, time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            if event.label:
                operations.add(event.label)
            by_phase[event.phase.value] = by_phase.get(event.phase.value, 0) + len(event.recorder.interactions)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        failures.append(f"[{event.phase.value}] {check.name}: {failure.title}\n{failure.message}\n"
                                        f"{check.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.title}: {event.info.message}\n{event.info.code_sample or ''}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
    return Run(failures=sorted(set(failures)), errors=errors, operations=len(operations), requests=app.requests,
               by_phase=by_phase, seconds=time.monotonic() - started)


@pytest.mark.django_db
@pytest.mark.parametrize("actor_name", ["therapist_a", "admin_a", "patient_a1", "key_a"])
def test_api_as_actor_passes_every_schemathesis_check(actor_name, world, rows, eager_celery, wsgi_app,
                                                      probes_without_socket_options, monkeypatch):
    from django.db import connections

    from clinic.api.permissions import ApiKeyRateThrottle

    forget_throttle_history()
    # A key's rate limit (429) would stop the run part-way; the limit itself is tested in
    # clinic/tests/api/test_api_keys.py.
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "100000/minute"})
    sessions_for(world.assignment_a1, count=3)
    progression_flag(world.assignment_a2)
    # Not through Django's test client: it would reconnect close_old_connections, which wsgi_app turned off.
    schema_json = SchemaGenerator().get_schema(request=None, public=True)
    actor = make_actor(actor_name, world, rows, schema_json)
    session_cookie = csrf_token = None
    if actor.user is not None:
        cookies, _headers = browser_session(actor.user)
        session_cookie, csrf_token = cookies["sessionid"], cookies["csrftoken"]
    connection = connections["default"]  # the wrapper itself, not django.db.connection (a per-thread proxy)
    app = InProcessApp(wsgi_app, connection, csrf_token)
    connection.inc_thread_sharing()  # the engine's worker thread uses this connection, one request at a time
    try:
        run = run_engine(app, engine_config(actor, session_cookie, csrf_token))
    finally:
        connection.dec_thread_sharing()
    print(f"\n{actor_name}: {run.operations} operations, {run.requests} requests in {run.seconds:.0f} s "
          f"(by phase: {run.by_phase})")
    assert not run.errors, "\n\n".join(run.errors)
    assert not run.failures, f"{len(run.failures)} failures:\n\n" + "\n\n".join(run.failures[:40])
