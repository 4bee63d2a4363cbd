"""Errors: users see our pages, never a traceback; logs keep the traceback but no names or pain scores."""

from __future__ import annotations

import io
import logging

import pytest
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from clinic.logging import ScrubbingFormatter, format_exception, scrub_text
from clinic.urls import urlpatterns as site_urlpatterns
from conftest import require_service

pytestmark = pytest.mark.django_db

NAME = "Zephyrine"
PAIN = 4271  # a score no line number, port or timestamp in the output will contain by chance


# --- a URLconf with views that fail on purpose (used through @pytest.mark.urls) ---

def broken_view(request):
    raise RuntimeError("an unexpected bug")


@csrf_exempt
def bad_patient_write(request, pk: int):
    """Save a row the database refuses; the body carries the name, and PostgreSQL echoes the row back."""
    from patients.models import Patient

    with transaction.atomic():
        # ACL without a surgery date breaks the check constraint patient_acl_needs_surgery_date.
        Patient.objects.filter(pk=pk).update(first_name=request.POST["first_name"], condition="acl",
                                             surgery_date=None)
    return HttpResponse("saved")


@csrf_exempt
def bad_session_write(request, pk: int):
    """Save a pain score outside 0–10, past the form, so the check constraint session_pain_during_0_10 fires."""
    from patients.models import SessionLog

    with transaction.atomic():
        SessionLog.objects.filter(pk=pk).update(pain_during=int(request.POST["pain_during"]))
    return HttpResponse("saved")


urlpatterns = site_urlpatterns + [
    path("test-errors/boom/", broken_view),
    path("test-errors/patients/<int:pk>/", bad_patient_write),
    path("test-errors/sessions/<int:pk>/", bad_session_write),
]
URLS = "clinic.tests.test_error_logging"


@pytest.fixture
def log_output():
    """What the configured console handler (settings.LOGGING) writes, captured for the test."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h.formatter, ScrubbingFormatter)]
    assert handlers, "settings.LOGGING must give the root console handler clinic.logging.ScrubbingFormatter"
    stream = io.StringIO()
    previous = handlers[0].setStream(stream)
    yield stream
    handlers[0].setStream(previous)


# --- error pages -----------------------------------------------------------------

def test_404_uses_our_page(client, settings):
    assert settings.DEBUG is False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert "We could not find that page" in body and "Go to your home page" in body


@pytest.mark.urls(URLS)
def test_500_uses_our_page_without_a_traceback(settings, log_output):
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/boom/")
    assert response.status_code == 500
    assert [t.name for t in response.templates] == ["500.html"]  # self-contained: no base layout
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    for leak in ("Traceback", "RuntimeError", "an unexpected bug", "broken_view", "settings"):
        assert leak not in body
    logged = log_output.getvalue()
    assert "Internal Server Error: /test-errors/boom/" in logged
    assert "RuntimeError: an unexpected bug" in logged and 'in broken_view' in logged


def test_400_for_a_bad_host_uses_our_page(client):
    response = client.get("/accounts/login/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()


def test_403_uses_our_page_with_the_reason(client, world):
    client.force_login(world.patient_a1.user)
    response = client.get("/patients/")
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    assert "You cannot open this page" in response.content.decode()


def test_csrf_failure_uses_our_page(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "therapist@a.test", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body and "<style" not in body


# --- what the log keeps -----------------------------------------------------------

def assert_scrubbed(logged: str, path: str, *names: str) -> None:
    assert f"Internal Server Error: {path}" in logged
    assert "IntegrityError" in logged
    assert "Traceback (most recent call last)" in logged and "File " in logged
    for secret in (NAME, str(PAIN), *names):
        assert secret not in logged, f"{secret!r} leaked into the log:\n{logged}"


@pytest.mark.urls(URLS)
def test_a_refused_write_logs_no_name(world, log_output):
    client = Client(raise_request_exception=False)
    path_ = f"/test-errors/patients/{world.patient_a1.pk}/"
    response = client.post(path_, {"first_name": NAME, "pain_during": PAIN})
    assert response.status_code == 500
    assert_scrubbed(log_output.getvalue(), path_, "Ashby")


@pytest.mark.urls(URLS)
def test_a_refused_write_logs_no_pain_score(world, log_output):
    from tests.factories import SessionLogFactory

    session = SessionLogFactory(exercise=world.assignment_a1.exercises.get(order=0, phase__order=0))
    client = Client(raise_request_exception=False)
    path_ = f"/test-errors/sessions/{session.pk}/"
    response = client.post(path_, {"first_name": NAME, "pain_during": PAIN})
    assert response.status_code == 500
    assert_scrubbed(log_output.getvalue(), path_)


@pytest.mark.urls(URLS)
def test_postgresql_row_details_are_hidden(world, log_output):
    """PostgreSQL puts the whole failing row into the error ("DETAIL:  Failing row contains (…)")."""
    require_service(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    from patients.models import Patient

    # The raw error really does carry the name: the scrubbing below is doing the work.
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Patient.objects.filter(pk=world.patient_a1.pk).update(first_name=NAME, condition="acl", surgery_date=None)
    assert NAME in str(raised.value) and "Failing row contains" in str(raised.value)

    client = Client(raise_request_exception=False)
    path_ = f"/test-errors/patients/{world.patient_a1.pk}/"
    client.post(path_, {"first_name": NAME})
    logged = log_output.getvalue()
    assert_scrubbed(logged, path_, "Ashby")
    assert "psycopg.errors.CheckViolation" in logged
    assert 'violates check constraint "patient_acl_needs_surgery_date"' in logged


# --- the formatter on PostgreSQL-shaped messages (checked on any database) --------

PG_MESSAGES = [
    'new row for relation "patients_sessionlog" violates check constraint "session_pain_during_0_10"\n'
    f"DETAIL:  Failing row contains (7, 2026-11-02, {PAIN}, {NAME}, null).",
    'duplicate key value violates unique constraint "clinic_user_email_key"\n'
    f"DETAIL:  Key (email)=({NAME.lower()}@example.test) already exists.",
    f'invalid input syntax for type integer: "{NAME}"\nLINE 1: ...WHERE "pain_during" = \'{PAIN}\'',
    'insert or update on table "patients_sessionlog" violates foreign key constraint "patient_fk"\n'
    f"DETAIL:  Key (patient_id)=({PAIN}) is not present in table \"patients_patient\".",
]


@pytest.mark.parametrize("message", PG_MESSAGES)
def test_database_error_messages_keep_only_what_failed(message):
    import sqlite3

    # As Django raises them: its IntegrityError from the driver's, both with the same message.
    try:
        try:
            raise sqlite3.IntegrityError(message)
        except sqlite3.IntegrityError as cause:
            raise IntegrityError(message) from cause
    except IntegrityError as error:
        text = format_exception(error)
    assert NAME not in text and str(PAIN) not in text
    assert text.count("Traceback (most recent call last)") == 2
    assert "The above exception was the direct cause" in text
    assert "django.db.utils.IntegrityError: " + message.splitlines()[0].split(":")[0] in text


def test_protected_error_does_not_list_the_objects():
    """ProtectedError's second argument is the set of objects, printed by their __str__ (patient names)."""
    from django.db.models import ProtectedError

    text = format_exception(ProtectedError("Cannot delete some instances of model 'Patient'", {f"<Patient: {NAME}>"}))
    assert NAME not in text and "ProtectedError: Cannot delete some instances of model" in text


def test_sql_parameters_are_hidden():
    record = logging.LogRecord("django.db.backends", logging.DEBUG, __file__, 1,
                               "(%.3f) %s; args=%s; alias=%s",
                               (0.01, f"UPDATE patients_patient SET first_name = '{NAME}'", (NAME,), "default"), None)
    record.sql, record.params, record.duration = "UPDATE …", (NAME,), 0.01
    text = ScrubbingFormatter("%(message)s").format(record)
    assert NAME not in text and "SQL query" in text
    assert scrub_text(f"SELECT 1; args=({PAIN},); alias=default") == "SELECT 1; args=[hidden]"


def test_celery_failure_lines_are_scrubbed(log_output):
    """Celery logs a failed task as its repr ("Task …[id] raised unexpected: IntegrityError('…\\nDETAIL: …')")."""
    from celery.app.trace import LOG_FAILURE, LOG_RECEIVED, LOG_SUCCESS

    # At INFO Celery names the task and its id, never its arguments (our tasks take ids anyway).
    assert "args" not in LOG_RECEIVED and "args" not in LOG_SUCCESS
    error = IntegrityError(PG_MESSAGES[0])
    try:
        raise error
    except IntegrityError:
        logging.getLogger("celery.app.trace").error(
            LOG_FAILURE, {"name": "patients.evaluate_assignment", "id": "abc", "description": "raised unexpected",
                          "exc": repr(error)}, exc_info=True)
    logged = log_output.getvalue()
    assert "Task patients.evaluate_assignment[abc] raised unexpected: IntegrityError(" in logged
    assert NAME not in logged and str(PAIN) not in logged


def test_celery_task_logger_handlers_are_scrubbed():
    """Celery gives its task logger a handler with its own formatter; ours adds a filter to it."""
    from celery.signals import after_setup_task_logger

    logger = logging.getLogger("test.celery.task")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        after_setup_task_logger.send(sender=None, logger=logger, loglevel=logging.INFO, logfile=None,
                                     format="%(message)s", colorize=False)
        try:
            raise IntegrityError(PG_MESSAGES[1])
        except IntegrityError:
            logger.exception("task failed: %s", PG_MESSAGES[0])
    finally:
        logger.removeHandler(handler)
    logged = stream.getvalue()
    assert "IntegrityError" in logged and NAME.lower() not in logged.lower() and str(PAIN) not in logged
