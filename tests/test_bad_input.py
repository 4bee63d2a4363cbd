"""Bad input gets a clear refusal, never a server error: oversized bodies and uploads, malformed and mistyped
JSON, the wrong content type, and every error status a user can cause on the API names the problem.

Limits (clinic/settings.py, "Forms and API"): bodies up to 1 MiB, 500 form fields,
no files stored. The API answers in JSON ({"detail": ...} or field errors keyed
by field); HTML forms answer with the site's 400 page.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.support import api, forget_throttle_history, walk  # noqa: F401 (fixtures)
from tests.bad_input_support import PATIENTS, SESSIONS, session_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

MIB = 1024 * 1024


def detail(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"detail"}, body
    return body["detail"]


def test_the_limits_are_set():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == MIB
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == MIB
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 500
    assert settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] == ["clinic.api.parsers.JSONParser"]


# ---------------------------------------------------------------------------
# API: oversized, malformed, mistyped, wrong content type, uploads
# ---------------------------------------------------------------------------


def test_api_refuses_an_oversized_json_body_with_413(world, api):
    response = api("patient_a1").post(SESSIONS, session_body(world, notes="x" * (MIB + 10)), format="json")
    assert response.status_code == 413
    assert "larger than the 1 MiB the API accepts" in detail(response)


def test_api_refuses_a_body_longer_than_its_declared_length_allows(world, api):
    """The limit holds even when Content-Length understates the body (the parser reads one byte past it)."""
    client = api("therapist_a")
    body = b'{"first_name": "' + b"x" * (MIB + 10) + b'"}'
    response = client.generic("POST", PATIENTS, body, content_type="application/json")
    assert response.status_code == 413


def test_api_answers_malformed_json_with_400_saying_so(world, api):
    response = api("therapist_a").generic("POST", PATIENTS, b'{"first_name": "Sam",', content_type="application/json")
    assert response.status_code == 400
    assert detail(response).startswith("JSON parse error")


@pytest.mark.parametrize("body", [b"[" * 50_000 + b"]" * 50_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
def test_api_answers_absurdly_nested_json_with_400_not_a_crash(world, api, body):
    response = api("therapist_a").generic("POST", PATIENTS, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in detail(response)


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_api_refuses_non_standard_json_numbers(world, api, constant):
    body = b'{"exercise": 1, "duration_min": ' + constant + b', "pain_during": 1, "pain_after": 1}'
    response = api("patient_a1").generic("POST", SESSIONS, body, content_type="application/json")
    assert response.status_code == 400
    assert detail(response).startswith("JSON parse error")


def test_api_refuses_values_of_the_wrong_json_type_naming_each_field(world, api):
    response = api("patient_a1").post(SESSIONS, session_body(world, duration_min="10", pain_during=True,
                                                              speed_kmh="fast", notes=12, pain_after=11),
                                      format="json")
    assert response.status_code == 400
    assert response.json() == {
        "duration_min": ["Expected a whole number, not a string."],
        "pain_during": ["Expected a whole number, not true or false."],
        "speed_kmh": ["Expected a number, not a string."],
        "notes": ["Expected a string, not a number."],
        "pain_after": ["Ensure this value is less than or equal to 10."],
    }


def test_api_refuses_nul_characters_in_text(world, api):
    response = api("patient_a1").post(SESSIONS, session_body(world, notes="before\x00after"), format="json")
    assert response.status_code == 400
    assert response.json() == {"notes": ["Null characters are not allowed."]}


def test_api_refuses_a_body_that_is_not_an_object(world, api):
    response = api("therapist_a").post(PATIENTS, ["first_name", "Sam"], format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/plain", b"first_name=Sam"),
    ("application/x-www-form-urlencoded", b"first_name=Sam&last_name=Test&condition=pfp&side=left"),
    ("application/xml", b"<patient/>"),
])
def test_api_refuses_bodies_that_are_not_json_with_415(world, api, content_type, body):
    response = api("therapist_a").generic("POST", PATIENTS, body, content_type=content_type)
    assert response.status_code == 415
    assert detail(response) == f'Unsupported media type "{content_type}" in request.'


@pytest.mark.parametrize("size", [10, 2 * MIB])
def test_api_refuses_multipart_uploads_unread(world, api, monkeypatch, size):
    """Small or large, a multipart upload is refused (415) before any of it is parsed or stored."""
    from django.core.files.uploadhandler import FileUploadHandler

    def never(*args, **kwargs):
        raise AssertionError("the upload was parsed")

    monkeypatch.setattr(FileUploadHandler, "__init__", never)
    upload = SimpleUploadedFile("knee.jpg", b"\xff\xd8" + b"0" * size, content_type="image/jpeg")
    response = api("therapist_a").post(PATIENTS, {"first_name": "Sam", "photo": upload}, format="multipart")
    assert response.status_code == 415
    assert detail(response).startswith('Unsupported media type "multipart/form-data')


# ---------------------------------------------------------------------------
# API: every error status a user can cause names the problem
# ---------------------------------------------------------------------------


def test_401_without_credentials_says_so_and_how_to_authenticate(world, api):
    response = api("anonymous").get(PATIENTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert detail(response) == "Authentication credentials were not provided."


def test_401_with_a_bad_or_revoked_key_says_so(world, api):
    wrong = api("anonymous")
    wrong.credentials(HTTP_AUTHORIZATION="Api-Key nonsense")
    for client in (api("revoked_key_a"), wrong):
        response = client.get(PATIENTS)
        assert response.status_code == 401
        assert detail(response) == "Invalid, expired or revoked API key."


def test_403_says_which_role_may_do_it(world, api):
    assert detail(api("patient_a1").get(PATIENTS)) == "Only clinic staff can do this."
    assert detail(api("therapist_a").post(SESSIONS, {}, format="json")) == "Only patients can do this."
    assert detail(api("key_a").post(PATIENTS, {}, format="json")) == "API keys are read-only."


def test_403_for_a_missing_csrf_token_says_so(world):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.therapist_a)
    response = client.post(PATIENTS, {"first_name": "Sam"}, format="json")
    assert response.status_code == 403
    assert detail(response).startswith("CSRF Failed")


def test_404_for_another_clinics_object_and_for_an_unknown_address(world, api):
    client = api("therapist_a")
    response = client.get(f"{PATIENTS}{world.patient_b1.pk}/")
    assert response.status_code == 404
    assert detail(response) == "No Patient matches the given query."
    for url in ("/api/v1/no-such-thing/", f"{PATIENTS}{world.patient_a1.pk}/no-such-action/", f"{PATIENTS}a/b/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert detail(response).startswith("Not found: there is no API endpoint at this address"), url
    # "1.5" reads as id 1 in an unknown format ".5": still the API's JSON 404.
    response = client.get(f"{PATIENTS}1.5/")
    assert response.status_code == 404
    assert detail(response) == "Not found."


def test_404_for_a_page_past_the_end_says_why(world, api):
    response = api("therapist_a").get(PATIENTS, {"page": 99})
    assert response.status_code == 404
    assert detail(response) == "Invalid page: That page contains no results."


def test_405_names_the_method(world, api):
    response = api("therapist_a").delete(f"{PATIENTS}{world.patient_a1.pk}/")
    assert response.status_code == 405
    assert detail(response) == 'Method "DELETE" not allowed.'
    assert "DELETE" not in response["Allow"]


def test_429_says_when_to_come_back(world, api, monkeypatch):
    from clinic.api.permissions import ApiKeyRateThrottle

    forget_throttle_history()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1/minute"})
    client = api("key_a")
    assert client.get(PATIENTS).status_code == 200
    response = client.get(PATIENTS)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert detail(response).startswith("Request was throttled. Expected available in")
    forget_throttle_history()


def test_400_names_each_missing_or_invalid_field(world, api):
    response = api("therapist_a").post(PATIENTS, {"condition": "knee", "email": "not-an-address"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "first_name": ["This field is required."],
        "last_name": ["This field is required."],
        "condition": ['"knee" is not a valid choice.'],
        "email": ["Enter a valid email address."],
        "side": ["This field is required."],
    }


@pytest.mark.parametrize(("query", "errors"), [
    ({"page_size": "0"}, {"page_size": ["Must be a whole number from 1 to 500."]}),
    ({"page_size": "501"}, {"page_size": ["Must be a whole number from 1 to 500."]}),
    ({"page_size": "ten"}, {"page_size": ["Must be a whole number from 1 to 500."]}),
    ({"therapist": "x"}, {"therapist": ["Enter a whole number."]}),
    ({"therapist": str(2**63)}, {"therapist": ["Ensure this value is less than or equal to 9223372036854775807."]}),
    ({"condition": "knee"}, {"condition": ["Select a valid choice. knee is not one of the available choices."]}),
])
def test_400_for_bad_query_parameters_names_the_parameter(world, api, query, errors):
    response = api("therapist_a").get(PATIENTS, query)
    assert response.status_code == 400
    assert response.json() == errors


def test_400_for_a_bad_boolean_filter(world, api):
    response = api("therapist_a").get("/api/v1/protocols/", {"builtin": "maybe"})
    assert response.status_code == 400
    assert response.json() == {"builtin": ['Must be "true" or "false".']}
    assert api("therapist_a").get("/api/v1/protocols/", {"builtin": ""}).status_code == 200  # empty: not set


def test_every_operation_documents_the_errors_it_can_answer(client):
    schema = client.get("/api/schema/?format=json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"401", "403", "404", "429"} <= statuses, (method, path, statuses)
            if method in ("post", "put", "patch"):
                assert {"400", "413", "415"} <= statuses, (method, path, statuses)
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
            assert "Retry-After" in operation["responses"]["429"]["headers"]


# ---------------------------------------------------------------------------
# HTML forms: oversized bodies, too many fields, uploads
# ---------------------------------------------------------------------------


def readable_refusal(response) -> None:
    """A 400 (or 413) page of the site, not a server error and not a bare traceback."""
    assert response.status_code in (400, 413), response.status_code
    assert response["Content-Type"].startswith("text/html")
    assert b"<h1" in response.content and b"Traceback" not in response.content


@pytest.fixture
def patient_client(client, world):
    client.force_login(world.patient_a1.user)
    return client


def test_form_refuses_an_oversized_body(world, patient_client):
    response = patient_client.post("/log/", {"exercise": walk(world.assignment_a1).pk, "notes": "x" * (MIB + 10)})
    readable_refusal(response)


def test_form_refuses_too_many_fields(world, patient_client):
    data = {f"field{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    readable_refusal(patient_client.post("/checkin/", data))


def test_form_refuses_an_oversized_upload_unread(world, patient_client, monkeypatch):
    from clinic.uploads import RefuseUploads

    def never(*args, **kwargs):
        raise AssertionError("a file was read")

    monkeypatch.setattr(RefuseUploads, "receive_data_chunk", never)
    upload = SimpleUploadedFile("knee.jpg", b"0" * (2 * MIB), content_type="image/jpeg")
    readable_refusal(patient_client.post("/checkin/", {"pain": "2", "photo": upload}))


def test_form_drops_a_small_upload_without_storing_it(world, patient_client, monkeypatch, tmp_path):
    """A file in a small multipart form is skipped: the form is handled as if it had not been sent."""
    from clinic.uploads import RefuseUploads

    def never(*args, **kwargs):
        raise AssertionError("a file was read")

    monkeypatch.setattr(RefuseUploads, "receive_data_chunk", never)
    upload = io.BytesIO(b"0" * 1000)
    upload.name = "knee.jpg"
    response = patient_client.post("/checkin/", {"pain": "not a score", "photo": upload})
    assert response.status_code == 200  # the form again, with its error; no 5xx
    assert response.wsgi_request.FILES == {}


@pytest.mark.parametrize("next_url", ["60401", "flags", "//evil.example/", "https://evil.example/", "/patients/"])
def test_flag_forms_go_back_only_to_a_path_of_this_site(world, client, next_url):
    """A `next` that is a bare word was taken for a route name (500); other sites were never allowed."""
    from tests.api.support import progression_flag

    flag = progression_flag(world.assignment_a1)
    client.force_login(world.therapist_a)
    for url, data in (("/flags/bulk/", {"action": "acknowledge", "flag": flag.pk}),
                      (f"/flags/{flag.pk}/action/", {"action": "acknowledge"})):
        response = client.post(url, {**data, "next": next_url})
        assert response.status_code == 302, url
        assert response["Location"] == ("/patients/" if next_url == "/patients/" else "/flags/"), url


def test_a_flag_note_with_a_nul_is_refused_and_nothing_changes(world, client):
    from tests.api.support import progression_flag

    flag = progression_flag(world.assignment_a1)
    client.force_login(world.therapist_a)
    response = client.post(f"/flags/{flag.pk}/action/", {"action": "resolve", "note": "done\x00"}, follow=True)
    assert "Note not saved: Null characters are not allowed." in response.content.decode()
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_a_stale_hidden_field_is_explained_not_silently_ignored(world, patient_client):
    """The form's hidden id (client_uuid) cannot be seen or fixed: the page says the form was out of date."""
    from patients.services import clinic_today

    data = {"exercise": walk(world.assignment_a1).pk, "date": clinic_today(world.clinic_a).isoformat(),
            "completed": "yes", "duration_min": "10", "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "1",
            "pain_after": "1", "client_uuid": "not-a-uuid"}
    response = patient_client.post("/log/", data)
    assert response.status_code == 200
    assert "This page was out of date, so nothing was saved." in response.content.decode()
    response = patient_client.post("/checkin/", {"pain": "2", "client_uuid": "not-a-uuid"})
    assert "This page was out of date, so nothing was saved." in response.content.decode()
    assert "Please tap a number" not in response.content.decode()  # the pain was fine
