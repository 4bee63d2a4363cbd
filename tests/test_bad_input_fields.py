"""Bad values in fields get a clear refusal naming the field, never a server error or a silent change.

Search terms with control characters or longer than any name (clinic/search.py), dates a clinic could not mean
(clinic/dates.py), and free text over its cap: each refused the same way on the forms, the API and in the
services. Oversized and malformed requests are in test_bad_input.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.api.support import api, walk  # noqa: F401 (fixture)
from tests.bad_input_support import PATIENTS, SESSIONS, session_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


# ---------------------------------------------------------------------------
# Search terms (clinic/search.py): one check for list pages (?q=) and the API (?search=)
# ---------------------------------------------------------------------------

LIST_PAGES = ("/patients/", "/exercises/", "/protocols/")


@pytest.mark.parametrize("url", LIST_PAGES)
@pytest.mark.parametrize("term", ["\x00", "knee\x00", "a\tb", "a\r\nb", "\x1b[31m"])
def test_a_search_with_control_characters_is_a_400_page_naming_q(world, client, url, term):
    """PostgreSQL refused a NUL in the search with a DataError (500); now every list page says what is wrong."""
    client.force_login(world.therapist_a)
    response = client.get(url, {"q": term, "page": "1"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Search (q) not used: A search cannot contain control characters" in body
    assert 'class="invalid-feedback' in body and "aria-invalid" in body
    assert "\x00" not in body and "%00" not in body  # neither echoed in the box nor in page links


@pytest.mark.parametrize("url", LIST_PAGES)
def test_an_ordinary_search_still_works_on_list_pages(world, client, url):
    client.force_login(world.therapist_a)
    response = client.get(url, {"q": "  Ashby  "})
    assert response.status_code == 200
    assert "Search (q) not used" not in response.content.decode()


def test_a_search_longer_than_any_name_is_refused_naming_q(world, client):
    client.force_login(world.therapist_a)
    response = client.get("/patients/", {"q": "x" * 201})
    assert response.status_code == 400
    assert "Search (q) not used: Ensure this value has at most 200 characters" in response.content.decode()


@pytest.mark.parametrize("term", ["\x00", "Ash\x00by", "a\tb"])
def test_api_search_with_control_characters_is_a_400_naming_search(world, api, term):
    response = api("therapist_a").get(PATIENTS, {"search": term})
    assert response.status_code == 400
    assert response.json() == {
        "search": ["A search cannot contain control characters (such as NUL, tab or a line break)."]}


def test_api_search_still_finds_patients(world, api):
    response = api("therapist_a").get(PATIENTS, {"search": " Ashby "})
    assert response.status_code == 200
    assert [row["last_name"] for row in response.json()["results"]] == ["Ashby"]


# ---------------------------------------------------------------------------
# Dates a clinic could not mean (clinic/dates.py): refused beside the field, on forms, the API and services
# ---------------------------------------------------------------------------

FAR_DATES = ["0001-01-01", "9999-12-31"]


def _fresh_patient(world, **fields):
    from tests.factories import PatientFactory

    return PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, **fields)


def _range_error(errors: list[str]) -> None:
    """The range refusal (or, for ranges that end today, its plainer words for a future date)."""
    assert len(errors) == 1, errors
    assert errors[0].startswith("Enter a date from ") or errors[0] in (
        "A measurement cannot be dated in the future.", "A date of birth cannot be in the future."), errors


@pytest.mark.parametrize("day", FAR_DATES)
def test_api_refuses_far_dates_naming_each_field(world, api, day):
    from tests.factories import make_protocol

    client = api("therapist_a")
    patient = _fresh_patient(world)
    response = client.post("/api/v1/assignments/", {"patient": patient.pk, "protocol": make_protocol().pk,
                                                    "start_date": day, "baseline_pain": 2}, format="json")
    assert response.status_code == 400
    _range_error(response.json()["start_date"])
    response = client.post(PATIENTS, {"first_name": "Sam", "last_name": "Test", "condition": "acl", "side": "left",
                                      "surgery_date": day, "date_of_birth": day}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"surgery_date", "date_of_birth"}
    _range_error(response.json()["surgery_date"])
    response = client.post("/api/v1/measurements/", {"patient": patient.pk, "date": day, "effusion": "0"},
                           format="json")
    assert response.status_code == 400
    _range_error(response.json()["date"])


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_services_refuse_far_dates_whoever_calls_them(world, day):
    """The services are the source of truth: a caller that skips the form or serializer is refused too."""
    from django.core.exceptions import ValidationError

    from patients import services
    from tests.factories import make_protocol

    patient = _fresh_patient(world, condition="acl", surgery_date=dt.date.today())
    calls = {
        "start_date": lambda: services.assignment_create(patient=patient, protocol=make_protocol(condition="acl"),
                                                         start_date=day, baseline_pain=2),
        "end_date": lambda: services.assignment_end(assignment=world.assignment_a1, end_date=day),
        "date": lambda: services.measurement_record(patient=patient, date=day, recorded_by=world.therapist_a),
        "surgery_date": lambda: services.patient_update(patient=patient, surgery_date=day),
        "date_of_birth": lambda: services.patient_create(clinic=world.clinic_a, first_name="Sam", last_name="Test",
                                                         condition="pfp", side="left", date_of_birth=day),
    }
    for field, call in calls.items():
        with pytest.raises(ValidationError) as raised:
            call()
        errors = raised.value.message_dict
        assert list(errors) == [field], errors
        if not (field == "end_date" and day < dt.date.today()):  # an end before the start says so instead
            _range_error(errors[field])


def test_an_unchanged_old_date_does_not_block_an_edit(world):
    """Only dates being entered are checked: a surgery date kept from long ago stays editable around it."""
    from patients import services
    from patients.models import Patient

    patient = _fresh_patient(world, condition="acl", surgery_date=dt.date.today())
    Patient.objects.filter(pk=patient.pk).update(surgery_date=dt.date(1990, 5, 1))
    patient.refresh_from_db()
    services.patient_update(patient=patient, first_name="Renamed", surgery_date=dt.date(1990, 5, 1))


@pytest.mark.parametrize("day", FAR_DATES)
def test_forms_show_far_dates_beside_the_field(world, client, day):
    from tests.factories import make_protocol

    client.force_login(world.therapist_a)
    patient = _fresh_patient(world)
    protocol = make_protocol()
    response = client.post(f"/patients/{patient.pk}/assign/", {"protocol": protocol.pk, "start_date": day,
                                                               "baseline_pain": "2"})
    assert response.status_code == 200
    _range_error(response.context["form"].errors["start_date"])
    response = client.post("/patients/new/", {"first_name": "Sam", "last_name": "Test", "condition": "acl",
                                              "side": "left", "surgery_date": day, "date_of_birth": day,
                                              "therapist": world.therapist_a.pk})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"surgery_date", "date_of_birth"}
    # The patient page's forms come back with what was typed and the error beside the field (issue 13, point 10).
    response = client.post(f"/patients/{world.patient_a1.pk}/end-plan/", {"status": "completed", "end_date": day})
    assert response.status_code == 400
    _range_error(response.context["end_form"].errors["end_date"])
    world.assignment_a1.refresh_from_db()
    assert world.assignment_a1.status == "active"
    response = client.post(f"/patients/{patient.pk}/measurements/", {"date": day, "effusion": "0"})
    assert response.status_code == 400
    _range_error(response.context["measurement_form"].errors["date"])
    assert not patient.measurements.exists()


def test_date_inputs_carry_the_range_as_min_and_max(world, client):
    client.force_login(world.therapist_a)
    from clinic.dates import PLAN_DATES

    body = client.get(f"/patients/{_fresh_patient(world).pk}/assign/").content.decode()
    low, high = PLAN_DATES.bounds(dt.date.today())
    assert f'min="{low.isoformat()}" max="{high.isoformat()}"' in body


@pytest.mark.parametrize(("params", "field"), [
    ({"end": "0001-01-01"}, "end"), ({"start": "0001-01-01"}, "start"), ({"start": "9999-12-31"}, "start"),
    ({"start": "0001-01-01", "end": "0001-01-20"}, "start"), ({"end": "9999-12-31"}, "end"),
])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_report_dates_out_of_range_are_a_400_naming_the_parameter(world, api, params, field, fmt):
    """end=0001-01-01 and start=9999-12-31 overflowed (default window arithmetic): a 500, in JSON and CSV."""
    response = api("therapist_a").get("/api/v1/reports/adherence/", {**params, "format": fmt})
    assert response.status_code == 400
    if fmt == "json":
        assert list(response.json()) == [field]
        _range_error(response.json()[field])
    else:
        assert response["Content-Type"].startswith("text/csv")
        header, line = csv.reader(io.StringIO(response.content.decode()))
        assert header == ["field", "error"]
        assert line[0] == field
        _range_error(line[1:])


# ---------------------------------------------------------------------------
# Free text: one cap per field, the same on the forms, the API and in the services
# ---------------------------------------------------------------------------


def test_each_free_text_field_has_the_same_cap_on_its_form_and_its_serializer():
    from patients.api.serializers import FlagDeclineSerializer, FlagResolveSerializer, SessionLogSerializer
    from patients.forms import FlagNoteForm, PhaseChangeForm, SessionLogForm, StepChangeForm
    from patients.models import NOTE_MAX_LENGTH, REASON_MAX_LENGTH
    from protocols.api.serializers import (
        PhaseInputSerializer,
        PrescribedExerciseInputSerializer,
        ProtocolSerializer,
    )
    from protocols.forms import ExerciseTemplateForm, PhaseForm, PrescribedExerciseForm, ProtocolForm
    from protocols.models import PROTOCOL_TEXT_MAX_LENGTH

    def form_cap(form_class, name, **kwargs):
        return form_class(**kwargs).fields[name].max_length

    pairs = {
        "session notes": (form_cap(SessionLogForm, "notes", today=dt.date.today()),
                          SessionLogSerializer().fields["notes"].max_length, NOTE_MAX_LENGTH),
        "flag note (decline)": (form_cap(FlagNoteForm, "note"), FlagDeclineSerializer().fields["note"].max_length,
                                NOTE_MAX_LENGTH),
        "flag note (resolve)": (form_cap(FlagNoteForm, "note"), FlagResolveSerializer().fields["note"].max_length,
                                NOTE_MAX_LENGTH),
        "protocol description": (form_cap(ProtocolForm, "description"),
                                 ProtocolSerializer().fields["description"].max_length, PROTOCOL_TEXT_MAX_LENGTH),
        "phase goals": (form_cap(PhaseForm, "goals"), PhaseInputSerializer().fields["goals"].max_length,
                        PROTOCOL_TEXT_MAX_LENGTH),
        "phase entry criteria": (form_cap(PhaseForm, "entry_criteria"),
                                 PhaseInputSerializer().fields["entry_criteria"].max_length,
                                 PROTOCOL_TEXT_MAX_LENGTH),
        "exercise notes": (form_cap(PrescribedExerciseForm, "notes"),
                           PrescribedExerciseInputSerializer().fields["notes"].max_length, PROTOCOL_TEXT_MAX_LENGTH),
    }
    for name, (on_form, on_api, defined) in pairs.items():
        assert on_form == on_api == defined, name
    # Only on forms (no API writes them), capped all the same.
    for name in ("instructions", "safety_notes"):
        assert form_cap(ExerciseTemplateForm, name) == PROTOCOL_TEXT_MAX_LENGTH
    assert form_cap(StepChangeForm, "reason", exercises=[], ladders={}) == REASON_MAX_LENGTH
    assert form_cap(PhaseChangeForm, "reason", phases=[]) == REASON_MAX_LENGTH


def test_api_refuses_session_notes_longer_than_the_form_allows(world, api):
    """Session notes were capped at 2000 characters on the phone's form, but not on the API."""
    from patients.models import NOTE_MAX_LENGTH

    response = api("patient_a1").post(SESSIONS, session_body(world, notes="x" * (NOTE_MAX_LENGTH + 1)),
                                      format="json")
    assert response.status_code == 400
    assert response.json() == {"notes": [f"Ensure this field has no more than {NOTE_MAX_LENGTH} characters."]}
    response = api("patient_a1").post(SESSIONS, session_body(world, notes="x" * NOTE_MAX_LENGTH), format="json")
    assert response.status_code == 201


def test_api_refuses_protocol_texts_longer_than_the_builder_allows(world, api):
    from protocols.models import PROTOCOL_TEXT_MAX_LENGTH
    from tests.factories import make_protocol

    client = api("therapist_a")
    too_long = "x" * (PROTOCOL_TEXT_MAX_LENGTH + 1)
    response = client.post("/api/v1/protocols/", {"name": "Long", "condition": "pfp", "sessions_per_week": 3,
                                                  "description": too_long}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["description"]
    protocol = client.post("/api/v1/protocols/", {"name": "Short", "condition": "pfp", "sessions_per_week": 3},
                           format="json").json()
    template = make_protocol().phases.first().exercises.first().template
    phase = {"name": "One", "goals": too_long, "entry_criteria": too_long,
             "exercises": [{"template": template.pk, "notes": too_long}]}
    response = client.put(f"/api/v1/protocols/{protocol['id']}/phases/", {"phases": [phase]}, format="json")
    assert response.status_code == 400
    errors = response.json()["phases"]["0"]
    assert set(errors) == {"goals", "entry_criteria", "exercises"} and list(errors["exercises"]["0"]) == ["notes"]


def test_services_enforce_the_caps_whoever_calls_them(world):
    from django.core.exceptions import ValidationError

    from patients import services
    from patients.models import NOTE_MAX_LENGTH
    from protocols import services as protocol_services
    from protocols.models import PROTOCOL_TEXT_MAX_LENGTH
    from tests.api.support import progression_flag

    with pytest.raises(ValidationError) as raised:
        services.session_log_create(patient=world.patient_a1, exercise=walk(world.assignment_a1), date=None,
                                    today=dt.date.today(), duration_min=10, pain_during=1, pain_after=1,
                                    speed_kmh=2.5, incline_pct=0, notes="x" * (NOTE_MAX_LENGTH + 1))
    assert list(raised.value.message_dict) == ["notes"]
    flag = progression_flag(world.assignment_a1)
    for act in (services.flag_resolve, services.flag_decline):
        with pytest.raises(ValidationError) as raised:
            act(flag=flag, user=world.therapist_a, note="x" * (NOTE_MAX_LENGTH + 1))
        assert list(raised.value.message_dict) == ["note"]
    services.flag_decline(flag=flag, user=world.therapist_a, note="x" * NOTE_MAX_LENGTH)  # "Declined. " is ours
    with pytest.raises(ValidationError) as raised:
        protocol_services.protocol_create(clinic=world.clinic_a, created_by=world.therapist_a, name="Long",
                                          condition="pfp", sessions_per_week=3,
                                          description="x" * (PROTOCOL_TEXT_MAX_LENGTH + 1))
    assert list(raised.value.message_dict) == ["description"]
