"""A level reads the same everywhere people read it: counted from 1, "level 5 of 9" for ladder index 4 of 9.

One patient at ladder index 4 of a 9-step ladder, with two comfortable sessions there (so the engine suggests
level 6): every page, the handout, the e-mails, the API and the CSV name level 5 of 9 (or the suggested 6),
never "step 4" or "level 4" (rules v1.1, "Applying decisions").
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from clinic.services import api_key_create
from patients.models import Flag
from patients.services import assignment_create, assignments_check, invitation_create, step_change
from tests.factories import MorningCheckInFactory, PatientFactory, SessionLogFactory, UserFactory, make_protocol

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

TODAY = dt.date.today()
NINE = [(2.5, 0, 10 + minutes) for minutes in range(9)]
LEVEL = re.compile(r"\blevel (\d+)(?: of (\d+))?", re.IGNORECASE)
ZERO_BASED = re.compile(r"\bstep \d", re.IGNORECASE)


def visible_text(html: str) -> str:
    """The page's text without tags, scripts or attributes (data-step="1" is not text for people).

    Drop-down lists are left out too: the patient page's "change a level" list offers every level.
    """
    html = re.sub(r"<(script|style|select)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def at_level_five(world):
    patient = PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, first_name="Nina", last_name="Nine",
                             user=UserFactory(email="nine@a.test"), email="nine@a.test")
    assignment = assignment_create(patient=patient, protocol=make_protocol(ladder=NINE),
                                   start_date=TODAY - dt.timedelta(days=12), baseline_pain=2,
                                   assigned_by=world.therapist_a)
    walk = assignment.exercises.get(phase__order=0, order=0)
    step_change(exercise=walk, step=4, effective_date=TODAY - dt.timedelta(days=5), source="therapist",
                reason="Back to where she was")
    for days_ago in (2, 1):
        day = TODAY - dt.timedelta(days=days_ago)
        SessionLogFactory(exercise=walk, date=day, step=4, pain_during=2, pain_after=1, duration_min=14)
        MorningCheckInFactory(patient=patient, date=day + dt.timedelta(days=1), pain=1)
    assignments_check(assignment_ids=[assignment.pk], today=TODAY)
    assert Flag.objects.get(patient=patient, kind="progression").suggested_step == 5
    return patient


def levels_in(text: str) -> set[tuple[str, str]]:
    return {(number, of) for number, of in LEVEL.findall(text)}


def assert_people_levels(text: str, where: str, *, shows_current: bool = True, also=()) -> None:
    assert not ZERO_BASED.search(text), f"{where}: {ZERO_BASED.search(text).group()!r}"
    found = levels_in(text)
    assert found <= {("5", "9"), ("6", "9"), ("5", ""), ("6", ""), *also}, f"{where}: {found}"
    if shows_current:
        assert ("5", "9") in found, f"{where}: no 'level 5 of 9' in {found}"


def test_every_page_and_message_names_the_same_level(client, world, at_level_five):
    patient = at_level_five
    pages = {}
    client.force_login(patient.user)
    for name in ("patients:today", "patients:history", "patients:log-session", "patients:checkin"):
        pages[name] = client.get(reverse(name)).content.decode()
    session = patient.sessions.order_by("-date").first()
    pages["saved"] = client.get(reverse("patients:session-saved", args=[session.pk])).content.decode()
    client.force_login(world.therapist_a)
    for name, args in (("patients:flags", []), ("patients:detail", [patient.pk]), ("patients:handout", [patient.pk])):
        pages[name] = client.get(reverse(name, args=args)).content.decode()
    pages["patients:list"] = client.get(reverse("patients:list"), {"q": "Nine"}).content.decode()

    shows_current = {"patients:today", "patients:list", "patients:flags", "patients:detail", "patients:handout",
                     "saved"}
    for name, html in pages.items():
        # The patient page's step history also lists where the plan started: level 1 of 9.
        also = {("1", "9")} if name == "patients:detail" else ()
        assert_people_levels(visible_text(html), name, shows_current=name in shows_current, also=also)
    assert "Level 5 of 9" in visible_text(pages["patients:today"])
    assert ">Level 5 of 9: 2.5 km/h · 0 % · 14 min</option>" in pages["patients:detail"]
    # The engine's reason, read on the phone, in the inbox and on the patient page.
    reason = "2 comfortable sessions in a row at level 5 of 9: ready to move up to level 6 of 9"
    for name in ("patients:today", "saved", "patients:flags", "patients:detail"):
        assert reason in visible_text(pages[name]), name

    mail.outbox.clear()
    invitation_create(patient=patient, created_by=world.therapist_a)
    assignments_check(assignment_ids=[patient.assignments.get().pk], today=TODAY)
    for message in mail.outbox:
        assert_people_levels(message.subject + message.body, "e-mail", shows_current=False)


def test_api_and_csv_give_people_levels_from_one_beside_the_stable_indexes(world, at_level_five):
    patient = at_level_five
    _key, raw = api_key_create(clinic=world.clinic_a, name="levels")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = api.get("/api/v1/reports/adherence/", {"patient": patient.pk, "format": "csv"})
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert (row["current_step"], row["current_level"]) == ("4", "5")
    (row,) = api.get("/api/v1/reports/adherence/", {"patient": patient.pk}).json()["rows"]
    assert (row["current_step"], row["current_level"]) == (4, 5)

    me = APIClient()
    me.force_login(patient.user)
    exercise = me.get("/api/v1/me/").json()["plan"]["exercises"][0]
    assert (exercise["current_step"], exercise["current_level"], exercise["level_in_words"]) == (4, 5,
                                                                                                  "level 5 of 9")
    sessions = me.get("/api/v1/sessions/").json()["results"]
    assert {(s["step"], s["level"]) for s in sessions} == {(4, 5)}

    therapist = APIClient()
    therapist.force_login(world.therapist_a)
    flag = therapist.get("/api/v1/flags/", {"patient": patient.pk}).json()["results"][0]
    assert (flag["suggested_step"], flag["suggested_level"]) == (5, 6)
    assignment = therapist.get(f"/api/v1/assignments/{patient.assignments.get().pk}/").json()
    walk = assignment["phases"][0]["exercises"][0]
    assert (walk["current_step"], walk["current_level"]) == (4, 5)
    assert [(s["order"], s["level"]) for s in walk["ladder_steps"]][:2] == [(0, 1), (1, 2)]


def test_the_schema_says_which_base_each_ladder_field_uses(client):
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    zero_based = {("AssignedExercise", "current_step"), ("AssignedLadderStep", "order"), ("LadderStep", "order"),
                  ("SessionLog", "step"), ("Flag", "suggested_step"), ("PlanExercise", "current_step"),
                  ("AdherenceRow", "current_step")}
    from_one = {("AssignedExercise", "current_level"), ("AssignedLadderStep", "level"), ("LadderStep", "level"),
                ("SessionLog", "level"), ("Flag", "suggested_level"), ("PlanExercise", "current_level"),
                ("AdherenceRow", "current_level")}
    for component, field in zero_based:
        assert "counted from 0" in schema[component]["properties"][field]["description"], (component, field)
    for component, field in from_one:
        assert "counted from 1" in schema[component]["properties"][field]["description"], (component, field)


def test_the_admin_names_ladder_rows_by_level_and_date_in_words():
    from decimal import Decimal

    from patients.models import AssignedLadderStep, StepVersion
    from protocols.models import LadderStep

    load = {"speed_kmh": Decimal("2.5"), "incline_pct": Decimal("0"), "duration_min": 10}
    assert str(AssignedLadderStep(order=4, **load)).startswith("Level 5: 2.5 km/h")
    assert str(LadderStep(order=0, **load)).startswith("Level 1: 2.5 km/h")
    version = StepVersion(step=4, effective_date=dt.date(2026, 12, 3), source="engine")
    assert str(version).startswith("Level 5 from 3 December 2026")
