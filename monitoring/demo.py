"""Demo remote monitoring: enrol some of the Demo Clinic's patients so that every group of the clinic page shows.

Called by `manage.py seed_demo` after patients.demo has rebuilt the demo
patients (rebuilding deletes their episodes and time with them). For local
development and demonstrations only, like the rest of the demo.

The demo patients' history is relative to today, so a fixed set-up date would
give different groups on different days. Instead, for each group in turn
(no data, at risk, 2–15 days, on track) the first patient and set-up date
(from today back to the plan's start) that put the patient in that group
today is chosen, using the same arithmetic as the pages
(`monitoring.periods`). The same day therefore gives the same demo, and every
group is there whenever the history allows it. Structure goes through the
services (`enrolment_start`, `time_entry_create`), so demo rows obey the same
rules as real ones. Northside Physio is left without monitoring: its staff see
the empty page and what to do next.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from clinic.clock import clinic_today
from clinic.models import Clinic
from monitoring import periods, selectors, services
from monitoring.models import Enrolment, TimeEntry
from patients.models import Assignment, Patient

DEMO_CLINIC_SLUG = "demo-clinic"
GROUPS = (periods.ON_TRACK, periods.PARTIAL, periods.AT_RISK, periods.NO_DATA)
# Management time this month for the patients of each group, in the order they were enrolled:
# (minutes, interactive, what was done). The on-track patient reaches 98980, the at-risk one 98979;
# one without a call shows that minutes alone are not enough.
TIME_THIS_MONTH = {
    periods.ON_TRACK: [(15, False, "Reviewed the week's sessions and morning pain."),
                       (12, True, "Video call: went through the next step of the ladder.")],
    periods.AT_RISK: [(11, True, "Phone call: reminded the patient to log each session and check-in.")],
    periods.PARTIAL: [(14, False, "Reviewed the logged sessions; pain settles by the morning.")],
    periods.NO_DATA: [],
}
# Last month, for the first on-track patient: 45 minutes with a call, so 98980 and one 98981.
TIME_LAST_MONTH = [(25, True, "Video call: reviewed technique on the treadmill and the safety clip."),
                   (20, False, "Reviewed two weeks of sessions and adjusted the plan's notes.")]
EXTRA_ON_TRACK = 2  # more enrolled patients, so the list looks like a clinic's


def _setup_for(group: str, dates: set[dt.date], plan: Assignment, today: dt.date,
               rules: periods.RuleBook) -> dt.date | None:
    """A set-up date that puts the patient in `group` today: the plan's start or the nearest day after it for
    on track (the longest history to show), else today or the nearest day before it."""
    span = (today - plan.start_date).days
    days = [plan.start_date + dt.timedelta(days=n) for n in range(span + 1)]
    for day in (days if group == periods.ON_TRACK else reversed(days)):
        current = periods.episode_periods(setup_date=day, through=today, plan_end=plan.end_date)[-1]
        if periods.period_status(period=current, dates=dates, today=today, rules=rules).status == group:
            return day
    return None


@transaction.atomic
def demo_monitoring_seed(*, summary=None) -> dict[str, int]:
    """Enrol one Demo Clinic patient per group with some of this month's time (and the login patient on track);
    add the counts to `summary.clinics` (patients.demo.DemoSummary) when given. Returns the counts."""
    clinic = Clinic.objects.filter(slug=DEMO_CLINIC_SLUG).first()
    if clinic is None:
        return {}
    today = clinic_today(clinic)
    patients = list(Patient.objects.filter(clinic=clinic).select_related("therapist").order_by("external_ref"))
    plans = {a.patient_id: a for a in Assignment.objects.filter(patient__clinic=clinic, status="active")}
    dates = selectors.data_days(Patient.objects.filter(clinic=clinic).values("pk"),
                                today - dt.timedelta(days=400), today)
    rules = selectors.rule_book()
    chosen: list[tuple[str, Patient, dt.date]] = []
    # On track first, so the login patient (DC-001) is among the enrolled; then the groups few patients can be in.
    for group in (*GROUPS, *[periods.ON_TRACK] * EXTRA_ON_TRACK):
        for patient in patients:
            if patient.pk in {p.pk for _g, p, _d in chosen} or patient.pk not in plans:
                continue
            setup = _setup_for(group, dates.get(patient.pk, set()), plans[patient.pk], today, rules)
            if setup is not None:
                chosen.append((group, patient, setup))
                break
    month = periods.month_of(today)
    last_month = periods.month_of(month - dt.timedelta(days=1))
    for number, (group, patient, setup) in enumerate(chosen):
        services.enrolment_start(patient=patient, setup_date=setup, enrolled_by=patient.therapist, today=today)
        entries = [(max(month, setup), item) for item in TIME_THIS_MONTH[group]]
        if number == 0 and setup < month:
            entries += [(max(last_month, setup), item) for item in TIME_LAST_MONTH]
        for n, (first_day, (minutes, interactive, activity)) in enumerate(entries):
            day = min(first_day + dt.timedelta(days=2 * (n % 2)), today, periods.month_last_day(first_day))
            services.time_entry_create(patient=patient, author=patient.therapist, date=day, minutes=minutes,
                                       activity=activity, interactive=interactive, today=today)
    counts = {
        "enrolled in remote monitoring": Enrolment.objects.filter(patient__clinic=clinic).count(),
        "management-time entries": TimeEntry.objects.filter(patient__clinic=clinic).count(),
    }
    if summary is not None and clinic.name in summary.clinics:
        summary.clinics[clinic.name].update(counts)
    return counts
