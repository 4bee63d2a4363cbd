"""Staff pages: the patient page's questionnaire panel (scores, change, threshold, add and skip), the clinic's
outcomes page and the CSV; other clinics' staff find nothing."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from outcomes.models import AssignmentQuestionnaire
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def improved(world, ask, submit):
    ask("sane")
    start = world.assignment_a1.start_date
    submit("sane", {"SANE": 40}, day=start)
    submit("sane", {"SANE": 65}, day=start + dt.timedelta(weeks=2))


def test_patient_page_shows_scores_change_threshold_and_chart(client, world, improved):
    client.force_login(world.therapist_a)
    page = client.get(reverse("patients:detail", args=[world.patient_a1.pk])).content.decode()
    assert "SANE (Single Assessment Numeric Evaluation)" in page
    assert "+25.0" in page and "Improved" in page and "threshold 10" in page
    assert 'class="bs-outcome-chart"' in page and 'id="outcome-chart-data"' in page
    assert "outcome-charts.js" in page
    # The flag is in the inbox.
    assert "Questionnaire score improved" in client.get(reverse("patients:flags")).content.decode()


def test_therapist_adds_and_skips_a_questionnaire(client, world):
    client.force_login(world.therapist_a)
    url = reverse("outcomes:plan-add", args=[world.patient_a1.pk])
    response = client.post(url, {"instrument_id": "groc", "every_weeks": "2", "at_start": "on"})
    assert response.status_code == 302 and response["Location"].endswith("#outcomes")
    row = AssignmentQuestionnaire.objects.get(assignment=world.assignment_a1)
    assert row.instrument_id == "groc" and row.every_weeks == 2 and row.source == "therapist"
    client.post(reverse("outcomes:plan-skip", args=[world.patient_a1.pk, row.pk]), {"skipped": "yes"})
    row.refresh_from_db()
    assert row.skipped
    # A licensed one the clinic did not import is not offered; a rule that never asks is refused.
    form = client.get(url).content.decode()
    assert "SANE" in form and "KOOS-PF" not in form
    refused = client.post(url, {"instrument_id": "koos"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    never = client.post(url, {"instrument_id": "sane"})
    assert never.status_code == 400 and "Choose when the questionnaire is due" in never.content.decode()


def test_other_clinic_staff_get_404(client, world, improved):
    row = AssignmentQuestionnaire.objects.get(assignment=world.assignment_a1)
    client.force_login(world.therapist_b)
    assert client.post(reverse("outcomes:plan-add", args=[world.patient_a1.pk]),
                       {"instrument_id": "groc", "at_start": "on"}).status_code == 404
    assert client.post(reverse("outcomes:plan-skip", args=[world.patient_a1.pk, row.pk]),
                       {"skipped": "yes"}).status_code == 404
    assert client.post(reverse("outcomes:plan-skip", args=[world.patient_b1.pk, row.pk]),
                       {"skipped": "yes"}).status_code == 404
    assert "SANE" not in client.get(reverse("outcomes:clinic")).content.decode()
    assert client.get(reverse("outcomes:export")).content.decode().count("\n") == 1  # the header only


def test_clinic_page_mean_change_counts_and_empty_state(client, world, improved, ask, submit):
    ask("sane", assignment=world.assignment_a2)
    submit("sane", {"SANE": 50}, patient=world.patient_a2, day=world.assignment_a2.start_date)
    client.force_login(world.therapist_a)
    page = client.get(reverse("outcomes:clinic")).content.decode()
    row = page.split("SANE (Single Assessment Numeric Evaluation)</th>")[1].split("</tr>")[0]
    assert "<td>2</td><td>1</td>" in row and "+25.0" in row  # two baselines, one follow-up: +25
    empty = client.get(reverse("outcomes:clinic"), {"start": "2020-01-01", "end": "2020-02-01"}).content.decode()
    assert "No questionnaire scores in this period" in empty
    bad = client.get(reverse("outcomes:clinic"), {"start": "2026-02-01", "end": "2026-01-01"}).content.decode()
    assert "start is after its end" in bad


def test_clinic_page_paginates_and_keeps_its_queries(client, world, ask, submit, django_assert_max_num_queries):
    client.force_login(world.therapist_a)
    client.get(reverse("outcomes:clinic"))
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("outcomes:clinic"))
    for instrument in ("sane", "groc", "psfs", "knee-pain-weekly"):
        ask(instrument)
    answers = {"sane": {"SANE": 50}, "groc": {"GROC": 1}, "knee-pain-weekly": {"worst": 3, "average": 2}}
    for instrument, given in answers.items():
        submit(instrument, given, day=world.assignment_a1.start_date)
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        page = client.get(reverse("outcomes:clinic")).content.decode()
    assert page.count('<th scope="row">') == 3


def test_csv_has_every_scale_of_every_response(client, world, improved, ask, submit):
    patient = PatientFactory(clinic=world.clinic_a, external_ref="=cmd()")
    assert patient  # another patient without responses is not in it
    ask("knee-pain-weekly")
    submit("knee-pain-weekly", {"worst": 5}, day=world.assignment_a1.start_date)
    client.force_login(world.admin_a)
    body = client.get(reverse("outcomes:export")).content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 4  # two SANE responses (one scale), one weekly pain (two scales)
    average = next(r for r in rows if r["scale"] == "average")
    assert average["score"] == "" and average["not_scored_reason"]
    assert {r["score"] for r in rows if r["scale"] == "sane"} == {"40.0", "65.0"}


def test_patient_page_queries_do_not_grow_with_responses(client, world, ask, submit, django_assert_max_num_queries):
    ask("sane")
    ask("groc")
    start = world.assignment_a1.start_date
    submit("sane", {"SANE": 40}, day=start)
    client.force_login(world.therapist_a)
    url = reverse("patients:detail", args=[world.patient_a1.pk])
    client.get(url)
    with django_assert_max_num_queries(35) as few:
        client.get(url)
    for week in (1, 2):
        submit("sane", {"SANE": 40 + 5 * week}, day=start + dt.timedelta(weeks=week))
        submit("groc", {"GROC": week}, day=start + dt.timedelta(weeks=week))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_a_protocols_questionnaires_are_set_here_and_copied_into_new_plans(client, world):
    from outcomes.models import ProtocolQuestionnaire
    from patients.services import assignment_create
    from tests.factories import make_protocol

    protocol = make_protocol(clinic=world.clinic_a)
    url = reverse("outcomes:protocol-questionnaires", args=[protocol.pk])
    client.force_login(world.therapist_a)
    assert "No questionnaire yet" in client.get(url).content.decode()
    assert client.post(url, {"action": "add", "instrument_id": "sane", "at_start": "on",
                             "every_weeks": "2"}).status_code == 302
    assert client.post(url, {"action": "add", "instrument_id": "groc", "at_end": "on"}).status_code == 302
    assert client.post(url, {"action": "add", "instrument_id": "psfs"}).status_code == 400  # never asked
    assert client.post(url, {"action": "remove", "instrument_id": "psfs"}).status_code == 400
    assert client.post(url, {"action": "remove", "instrument_id": "groc"}).status_code == 302
    assert list(ProtocolQuestionnaire.objects.values_list("instrument_id", "every_weeks")) == [("sane", 2)]
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a)
    plan = assignment_create(patient=patient, protocol=protocol, start_date=world.assignment_a1.start_date,
                             baseline_pain=2)
    assert list(plan.questionnaires.values_list("instrument_id", "every_weeks", "source")) == [
        ("sane", 2, "protocol")]
    # Built-in protocols are read-only; other clinics' protocols are not found.
    builtin = make_protocol()
    assert client.post(reverse("outcomes:protocol-questionnaires", args=[builtin.pk]),
                       {"action": "add", "instrument_id": "sane", "at_start": "on"}).status_code == 403
    client.force_login(world.therapist_b)
    assert client.get(url).status_code == 404
