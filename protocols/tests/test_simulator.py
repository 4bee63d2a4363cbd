"""The simulator: `manage.py simulate_progression` and POST /api/v1/progression/simulate/."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
VALID = {
    "condition": "pfp", "today": "2026-09-10", "baseline_pain": 1, "frequency_per_week": 3,
    "ladder": [{"speed_kmh": 2.5, "incline_pct": 0, "duration_min": 10},
               {"speed_kmh": 2.5, "incline_pct": 2.5, "duration_min": 10}],
    "current_step": 0,
    "sessions": [
        {"date": "2026-09-08", "step": 0, "completed": True, "pain_during": 2, "pain_after": 1, "pain_next_morning": 1},
        {"date": "2026-09-09", "step": 0, "completed": True, "pain_during": 1, "pain_after": 1, "pain_next_morning": 0},
    ],
}
INVALID = {**VALID, "sessions": [{**VALID["sessions"][0], "pain_during": 11}]}
URL = "/api/v1/progression/simulate/"


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "manage.py", "simulate_progression", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_command_object_in_decision_out(tmp_path):
    path = tmp_path / "input.json"
    path.write_text(json.dumps(VALID))
    out = io.StringIO()
    call_command("simulate_progression", str(path), stdout=out)
    decision = json.loads(out.getvalue())
    assert decision["decision"] == "progress" and decision["next_step"] == 1 and decision["rules"] == ["R11"]


def test_command_array_in_array_out_with_errors_in_place():
    result = run("-", stdin=json.dumps([VALID, INVALID, "not an object"]))
    assert result.returncode == 0, result.stderr
    first, second, third = json.loads(result.stdout)
    assert first["decision"] == "progress"
    assert second == {"error": {"field": "sessions[0].pain_during",
                                "message": "must be a whole pain score from 0 to 10"}}
    assert third["error"]["field"] == "input"


@pytest.mark.parametrize(("args", "stdin", "words"), [
    (["/no/such/file.json"], None, "cannot read"),
    (["-"], "{not json", "not valid JSON"),
])
def test_command_exits_2_on_unreadable_or_non_json(args, stdin, words):
    result = run(*args, stdin=stdin)
    assert result.returncode == 2
    assert words in result.stderr


@pytest.mark.parametrize("today", ["0001-01-01", "9999-12-31"])
def test_command_answers_a_date_the_engine_cannot_count_from_with_an_error_naming_it(today):
    """today 0001-01-01 overflowed (today - 13 days) with a traceback; now it is invalid input naming `today`."""
    result = run("-", stdin=json.dumps([{**VALID, "today": today}, VALID]))
    assert result.returncode == 0, result.stderr
    error, decision = json.loads(result.stdout)
    assert error == {"error": {"field": "today", "message": "must be a date from 0001-01-15 to 9999-12-17"}}
    assert decision["decision"] == "progress"


# Rules v1.1: F1 counts the plan's training days when `training_days` is given.
STARTED = {**VALID, "assignment_start": "2026-08-20"}
TRAINED = {**STARTED, "training_days": ["2026-09-01", "2026-09-03", "2026-09-05", "2026-09-08", "2026-09-09"]}
BAD_TRAINING_DAY = {**STARTED, "training_days": ["2026-09-08", "2026-02-30"]}


def test_command_takes_training_days():
    result = run("-", stdin=json.dumps([STARTED, TRAINED, BAD_TRAINING_DAY]))
    assert result.returncode == 0, result.stderr
    sessions_only, trained, bad = json.loads(result.stdout)
    assert sessions_only["rules"] == ["R11", "F1"]
    assert sessions_only["flags"][0]["reason"] == "Trained on 2 of the last 14 days; the plan asks for 6 (33 %)."
    assert trained["rules"] == ["R11"] and trained["flags"] == []
    assert bad == {"error": {"field": "training_days[1]", "message": "must be a date written YYYY-MM-DD"}}


def test_command_error_carries_exit_code_2():
    with pytest.raises(CommandError) as err:
        call_command("simulate_progression", "/no/such/file.json")
    assert err.value.returncode == 2


@pytest.mark.django_db
class TestEndpoint:
    def test_therapist_gets_the_decision(self, client, world):
        client.force_login(world.therapist_a)
        response = client.post(URL, VALID, content_type="application/json")
        assert response.status_code == 200
        assert response.json()["decision"] == "progress"

    def test_invalid_input_gives_400_naming_the_field(self, client, world):
        client.force_login(world.admin_a)
        response = client.post(URL, INVALID, content_type="application/json")
        assert response.status_code == 400
        body = response.json()
        assert body["error"]["field"] == "sessions[0].pain_during"
        assert body["sessions[0].pain_during"] == ["must be a whole pain score from 0 to 10"]

    @pytest.mark.parametrize(("field", "value"), [("today", "0001-01-01"), ("today", "9999-12-31"),
                                                  ("assignment_start", "0001-01-01")])
    def test_a_date_outside_the_engines_range_is_a_400_naming_it(self, client, world, field, value):
        client.force_login(world.therapist_a)
        response = client.post(URL, {**VALID, field: value}, content_type="application/json")
        assert response.status_code == 400
        assert response.json()[field] == ["must be a date from 0001-01-15 to 9999-12-17"]

    def test_array_gives_array(self, client, world):
        client.force_login(world.therapist_b)
        response = client.post(URL, [VALID, INVALID], content_type="application/json")
        assert response.status_code == 200
        assert [("error" in item) for item in response.json()] == [False, True]

    def test_malformed_json_is_a_400_not_a_500(self, client, world):
        client.force_login(world.therapist_a)
        response = client.post(URL, "{oops", content_type="application/json")
        assert response.status_code == 400

    def test_anonymous_and_patients_are_refused(self, client, world):
        response = client.post(URL, VALID, content_type="application/json")
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"
        client.force_login(world.patient_a1.user)
        assert client.post(URL, VALID, content_type="application/json").status_code == 403

    def test_needs_csrf_for_browser_sessions(self, world):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(world.therapist_a)
        assert client.post(URL, VALID, content_type="application/json").status_code == 403

    def test_training_days_count_and_are_validated_naming_the_field(self, client, world):
        client.force_login(world.therapist_a)
        assert client.post(URL, STARTED, content_type="application/json").json()["rules"] == ["R11", "F1"]
        assert client.post(URL, TRAINED, content_type="application/json").json()["rules"] == ["R11"]
        response = client.post(URL, BAD_TRAINING_DAY, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["training_days[1]"] == ["must be a date written YYYY-MM-DD"]
        not_a_list = client.post(URL, {**STARTED, "training_days": "2026-09-08"}, content_type="application/json")
        assert not_a_list.status_code == 400 and not_a_list.json()["error"]["field"] == "training_days"

    def test_get_is_not_allowed(self, client, world):
        client.force_login(world.therapist_a)
        assert client.get(URL).status_code == 405
