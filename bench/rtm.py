"""Remote monitoring in the bench: the year clinic's patients enrolled from their plan's start, with management
time most months, so `GET /api/v1/reports/rtm/` over the year lists about twelve 30-day periods per patient.

The rows come from their own random stream (the seed + 19), after the rest of
the year clinic is built, so the adherence figures' data is the same as before.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from bench.inserts import write_rows
from monitoring.models import Enrolment, TimeEntry
from monitoring.periods import month_of, next_month
from patients.models import Assignment, Patient

ACTIVITIES = ("Reviewed the week's sessions and morning pain.", "Phone call about the plan.",
              "Video call: checked technique and the safety clip.")


def enrol_year_clinic(*, rows: list[tuple[Patient, Assignment]], today: dt.date, seed: int,
                      counts: dict[str, int]) -> None:
    """One episode per patient from their plan's start (ending with the plan), and 0-3 time entries a month."""
    rng = random.Random(seed + 19)
    episodes = Enrolment.objects.bulk_create(
        [Enrolment(patient=patient, assignment=plan, setup_date=plan.start_date, enrolled_by_id=patient.therapist_id)
         for patient, plan in rows], batch_size=2000)
    now = timezone.now()
    entries = []
    for episode, (patient, plan) in zip(episodes, rows):
        last = min(plan.end_date or today, today)
        month = month_of(episode.setup_date)
        while month <= last:
            for _ in range(rng.randint(0, 3)):
                day = month + dt.timedelta(days=rng.randint(0, 27))
                if episode.setup_date <= day <= last:
                    entries.append((patient.pk, episode.pk, patient.therapist_id, day, rng.choice((5, 8, 10, 12, 20)),
                                    rng.choice(ACTIVITIES), rng.random() < 0.3, TimeEntry.Source.MANUAL, now, now))
            month = next_month(month)
    counts["rtm episodes"] = len(episodes)
    counts["rtm time entries"] = write_rows(
        TimeEntry, ["patient", "episode", "author", "date", "minutes", "activity", "interactive", "source",
                    "created_at", "updated_at"], entries)
