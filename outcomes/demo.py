"""Demo questionnaires: SANE, GROC and PSFS answered over the demo weeks, and KOOS-PF with test wording.

Called by `manage.py seed_demo` after patients.demo has rebuilt the demo
patients (which deletes their plans' questionnaires and responses with them).
For local development and demonstrations only, like the rest of the demo.

Everything goes through the services, as real answers do: the questionnaires
are put on each Demo Clinic plan (`plan_questionnaire_add`), KOOS-PF's test
wording is imported (`outcomes.demo_wording`, labelled as test wording on
every page), and each occasion up to today is submitted on its day
(`response_submit`), so scores are computed and outcome flags raised exactly
as in use. The login patient's newest occasion is left unanswered, so the
phone shows a due questionnaire. Answers are a deterministic function of the
patient and the week: most patients improve; one (the red-pain scenario)
gets worse, so the inbox shows both kinds of outcome flag.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from clinic.clock import clinic_today
from clinic.models import Clinic, Membership
from outcomes import instruments
from outcomes.answering import response_submit
from outcomes.demo_wording import DEMO_INSTRUMENT, import_test_wording
from outcomes.due import plan_dates, rule_of
from outcomes.models import AssignmentQuestionnaire, QuestionnaireResponse
from outcomes.plan_questionnaires import plan_questionnaire_add
from outcomes.schedule import occasions
from outcomes.selectors import instrument_wording
from outcomes.services import threshold_set
from patients.models import Assignment, MorningCheckIn, SessionLog

DEMO_CLINIC_SLUG = "demo-clinic"
LOGIN_EMAIL = "patient@demo.clinic"
WORSE_ROLE_LAST_NAME = "Kowalski"  # patients.demo's red-pain scenario: her scores fall
DEMO_THRESHOLD = ("knee-pain-weekly", "worst", 3)  # instrument, scale, the Demo Clinic's important change
ACTIVITIES = ["Going down stairs", "Squatting to pick something up", "Running for the bus"]
# (instrument, rule): every plan gets the built-ins; patellofemoral plans also KOOS-PF (imported test wording).
BUILT_IN_RULES = [("sane", {"every_weeks": 2}), ("groc", {"at_start": False, "every_weeks": 2}),
                  ("psfs", {"every_weeks": 2})]
PFP_RULES = [(DEMO_INSTRUMENT, {"every_weeks": 4, "at_phase_change": True})]


def _progress(n: int, worse: bool) -> float:
    """How far along the patient is on occasion `n` (0 at the start): 0 .. 1, or falling back for `worse`."""
    step = min(n / 4, 1.0)
    return -0.5 * step if worse else step


def _answers(instrument, n: int, worse: bool, seed: int) -> dict[str, int]:
    p = _progress(n, worse)
    wobble = (seed + n) % 3 - 1
    if instrument.id == "sane":
        return {"SANE": max(0, min(100, round(45 + 40 * p) + 2 * wobble))}
    if instrument.id == "groc":
        return {"GROC": max(-7, min(7, round(1 + 4 * p) + (wobble if n > 1 else 0)))}
    if instrument.id == "psfs":
        return {item: max(0, min(10, round(3 + 5 * p) + (k + wobble) % 2))
                for k, item in enumerate(("A1", "A2", "A3"))}
    # A licensed 0-4 instrument (KOOS-PF): the lower the answer, the fewer the problems.
    level = max(0, min(4, round(3 - 2.4 * p)))
    return {item.id: max(0, min(4, level + (k + n + seed) % 2 - (1 if k % 4 == 0 and level > 0 else 0)))
            for k, item in enumerate(instrument.items)}


def _plan_rules(assignment: Assignment, user, clinic) -> list[AssignmentQuestionnaire]:
    rules = BUILT_IN_RULES + (PFP_RULES if assignment.condition == "pfp" else [])
    return [plan_questionnaire_add(assignment=assignment, instrument_id=instrument_id, user=user, **rule)
            for instrument_id, rule in rules
            if instrument_wording(clinic, instruments.get(instrument_id)) is not None]


def _answer_plan(assignment: Assignment, rows, today: dt.date) -> int:
    patient = assignment.patient
    worse = patient.last_name == WORSE_ROLE_LAST_NAME
    dates = plan_dates(assignment)
    active = _active_days(patient)
    answered = 0
    for row in rows:
        instrument = instruments.get(row.instrument_id)
        found = occasions(rule_of(row), dates, through=today)
        keep_due = patient.user is not None and patient.user.email == LOGIN_EMAIL and row.instrument_id == "sane"
        for n, (occasion, day) in enumerate(_answer_days(found, active, today)):
            if keep_due and occasion == found[-1]:
                continue  # left for the phone to show as due
            response, _new = response_submit(
                patient=patient, instrument_id=row.instrument_id, today=day,
                answers=_answers(instrument, n, worse, patient.pk),
                activities=ACTIVITIES if row.instrument_id == "psfs" else None)
            when = timezone.make_aware(dt.datetime.combine(day, dt.time(19, 30)))
            QuestionnaireResponse.objects.filter(pk=response.pk).update(submitted_at=when, started_at=when)
            answered += 1
    return answered


def _active_days(patient) -> list[dt.date]:
    """The days the patient logged a session or a check-in: demo patients answer questionnaires on those days."""
    sessions = SessionLog.objects.filter(patient=patient).values_list("date", flat=True)
    checkins = MorningCheckIn.objects.filter(patient=patient).values_list("date", flat=True)
    return sorted(set(sessions) | set(checkins))


def _answer_days(found: list[dt.date], active: list[dt.date], today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(occasion, day) for each occasion the patient answers: the first day they were active on or after it and
    before the next occasion.

    So a demo questionnaire never adds a day with data that remote monitoring would not already count (its
    demo picks patients by those days), and a patient who stopped logging stops answering too.
    """
    days = []
    for n, occasion in enumerate(found):
        until = found[n + 1] if n + 1 < len(found) else today + dt.timedelta(days=1)
        day = next((d for d in active if occasion <= d < until and d <= today), None)
        if day is not None:
            days.append((occasion, day))
    return days


@transaction.atomic
def demo_outcomes_seed(*, summary=None) -> dict[str, int]:
    """Import KOOS-PF test wording into the Demo Clinic, put the questionnaires on its plans and answer them over
    the demo weeks; add the counts to `summary.clinics` (patients.demo.DemoSummary) when given."""
    clinic = Clinic.objects.filter(slug=DEMO_CLINIC_SLUG).first()
    if clinic is None:
        return {}
    admin = Membership.objects.filter(clinic=clinic, role=Membership.Role.ADMIN).select_related("user").first()
    if instrument_wording(clinic, instruments.get(DEMO_INSTRUMENT)) is None:
        import_test_wording(clinic, admin.user if admin else None)
    # The clinic's own threshold beside the defaults on the thresholds page (a scale the demo does not ask).
    threshold_set(clinic, admin.user if admin else None, *DEMO_THRESHOLD)
    today = clinic_today(clinic)
    plans = (Assignment.objects.filter(patient__clinic=clinic, status=Assignment.Status.ACTIVE)
             .select_related("patient__user", "assigned_by").order_by("patient__external_ref"))
    counts = {"questionnaires on plans": 0, "questionnaire responses": 0}
    for assignment in plans:
        rows = _plan_rules(assignment, assignment.assigned_by, clinic)
        counts["questionnaires on plans"] += len(rows)
        counts["questionnaire responses"] += _answer_plan(assignment, rows, today)
    if summary is not None:
        summary.clinics.setdefault(clinic.name, {}).update(counts)
    return counts
