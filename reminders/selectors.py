"""Reads for reminders: the tick's candidates with their day, in a fixed number of queries; the settings pages.

`tick_candidates` is what the beat tick reads for every patient at once:
patients with an active plan and an active account in an active clinic, each
with their settings (own or the clinic's), their time zone and what they did
on their local today. Seven queries whatever the number of patients.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Max

from patients.models import Assignment, MorningCheckIn, Patient, SessionLog
from reminders.due import Choice, Day
from reminders.mail import unsubscribe_patient_id
from reminders.models import ClinicReminderDefaults, PushSubscription, ReminderPreference, ReminderSettings

CHOICE_FIELDS = ("training_enabled", "training_time", "checkin_enabled", "checkin_time", "nudge_enabled",
                 "nudge_after_days", "quiet_start", "quiet_end")
SETTINGS_FIELDS = (*CHOICE_FIELDS, "training_weekdays", "push_enabled", "email_enabled")


@dataclass(frozen=True)
class Candidate:
    patient_id: int
    zone: zoneinfo.ZoneInfo
    local_now: dt.datetime
    choice: Choice
    day: Day
    push: bool  # push chosen and at least one subscription
    email: str  # the address when e-mail is chosen, else ""


def choice_of(settings: ReminderSettings) -> Choice:
    """The pure engine's view of a clinic's defaults or a patient's preference."""
    return Choice(**{name: getattr(settings, name) for name in CHOICE_FIELDS},
                  training_weekdays=frozenset(int(ch) for ch in settings.training_weekdays))


def effective_settings(patient: Patient, defaults: ClinicReminderDefaults | None) -> ReminderSettings:
    """The patient's own preference, else the clinic's defaults, else the built-in defaults (unsaved)."""
    own = getattr(patient, "reminder_preference", None)
    return own or defaults or ClinicReminderDefaults(clinic_id=patient.clinic_id)


def patient_zone(patient: Patient) -> zoneinfo.ZoneInfo:
    own = getattr(patient, "reminder_preference", None)
    return zoneinfo.ZoneInfo((own.timezone if own and own.timezone else "") or patient.clinic.timezone)


def tick_candidates(now: dt.datetime) -> list[Candidate]:
    """Every patient who could get a reminder now, with what the engine needs (seven queries)."""
    plans = {a.patient_id: a for a in Assignment.objects.filter(
        status=Assignment.Status.ACTIVE, patient__clinic__is_active=True, patient__user__is_active=True,
    ).only("id", "patient_id", "start_date", "sessions_per_week")}
    patients = list(Patient.objects.filter(pk__in=plans).select_related("clinic", "user", "reminder_preference")
                    .only("id", "clinic__timezone", "clinic__id", "user__email", "user__is_active",
                          *[f"reminder_preference__{f.name}" for f in ReminderPreference._meta.concrete_fields]))
    defaults = {d.clinic_id: d for d in ClinicReminderDefaults.objects.filter(
        clinic_id__in={p.clinic_id for p in patients})}
    local_now = {p.pk: now.astimezone(patient_zone(p)) for p in patients}
    earliest = min((moment.date() for moment in local_now.values()), default=now.date()) - dt.timedelta(days=6)
    last_trained = dict(SessionLog.objects.filter(patient_id__in=plans, completed=True)
                        .values("patient_id").annotate(last=Max("date")).values_list("patient_id", "last"))
    recent_days: dict[int, set[dt.date]] = {}
    for patient_id, date in (SessionLog.objects.filter(patient_id__in=plans, completed=True, date__gte=earliest)
                             .order_by().values_list("patient_id", "date").distinct()):
        recent_days.setdefault(patient_id, set()).add(date)
    checkins = set(MorningCheckIn.objects.filter(patient_id__in=plans, date__gte=earliest)
                   .values_list("patient_id", "date"))
    pushable = set(PushSubscription.objects.filter(patient_id__in=plans).values_list("patient_id", flat=True))
    return [_candidate(p, plans[p.pk], effective_settings(p, defaults.get(p.clinic_id)), local_now[p.pk],
                       last_trained.get(p.pk), recent_days.get(p.pk, set()), checkins, pushable)
            for p in patients]


def _candidate(patient, plan, settings, local_now, last_trained, days, checkins, pushable) -> Candidate:
    today = local_now.date()
    monday = today - dt.timedelta(days=today.weekday())
    if last_trained and last_trained > today:  # a day ahead of this zone's today (another zone's date)
        last_trained = max((d for d in days if d <= today), default=None)
    day = Day(plan_start=plan.start_date, last_trained=last_trained,
              checked_in_today=(patient.pk, today) in checkins,
              week_done=sum(1 for d in days if monday <= d <= today), week_planned=plan.sessions_per_week)
    return Candidate(patient_id=patient.pk, zone=local_now.tzinfo, local_now=local_now, choice=choice_of(settings),
                     day=day, push=settings.push_enabled and patient.pk in pushable,
                     email=patient.user.email if settings.email_enabled and patient.user else "")


def preference_for(patient: Patient) -> ReminderPreference:
    """The patient's preference, or an unsaved one filled from the clinic's defaults (the settings form's start)."""
    own = ReminderPreference.objects.filter(patient=patient).first()
    if own:
        return own
    defaults = ClinicReminderDefaults.objects.filter(clinic_id=patient.clinic_id).first()
    preference = ReminderPreference(patient=patient)
    if defaults:
        for name in SETTINGS_FIELDS:
            setattr(preference, name, getattr(defaults, name))
    return preference


def clinic_defaults(clinic) -> ClinicReminderDefaults:
    return ClinicReminderDefaults.objects.filter(clinic=clinic).first() or ClinicReminderDefaults(clinic=clinic)


def push_subscription_count(patient: Patient) -> int:
    return PushSubscription.objects.filter(patient=patient).count()


def unsubscribe_patient(token: str) -> Patient | None:
    """The patient an unsubscribe link's signed token names, or None for a token this server did not make."""
    patient_id = unsubscribe_patient_id(token)
    return Patient.objects.filter(pk=patient_id).only("id", "clinic_id").first() if patient_id else None
