"""Remote monitoring's writes: enrolling and unenrolling, the management timer, and management-time entries.

Each service validates, then writes in one transaction (the audit trail's
event for the request joins it: clinic.audit). Logs name rows by id only.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from clinic.dates import PLAN_DATES, sane_clinic_date
from monitoring.models import ENTRY_MINUTES_MAX, Enrolment, RunningTimer, TimeEntry
from patients.models import Assignment, Patient

logger = logging.getLogger(__name__)

# What a timer entry says when nobody said otherwise (a timer stopped by starting another patient's).
# Stored as written (English) on the time entry; shown in the reader's language while unedited
# (clinic.builtin_text, registered in monitoring/apps.py).
TIMER_ACTIVITY = gettext_noop("Reviewed the patient's data and plan (timer).")


def _local_date(moment: dt.datetime, clinic) -> dt.date:
    return timezone.localtime(moment, zoneinfo.ZoneInfo(clinic.timezone)).date()


def _episodes_locked(patient: Patient) -> list[Enrolment]:
    """The patient's episodes, locked until the transaction ends, with their plans."""
    return list(Enrolment.objects.select_for_update().select_related("assignment").filter(patient=patient)
                .order_by("setup_date", "pk"))


def episode_on(episodes: list[Enrolment], day: dt.date) -> Enrolment | None:
    """The episode running on `day` (from its set-up date to its end), if any."""
    for episode in episodes:
        end, _why = episode.end()
        if episode.setup_date <= day and (end is None or day <= end):
            return episode
    return None


# ---------------------------------------------------------------------------
# Enrolment
# ---------------------------------------------------------------------------


@transaction.atomic
def enrolment_start(*, patient: Patient, setup_date: dt.date, enrolled_by, today: dt.date) -> Enrolment:
    """Enrol the patient's running plan in remote monitoring from `setup_date`: a new episode, whose first 30-day
    period starts that day and which records the set-up once.

    Refused without a running plan, for a date in the future or before the
    plan started, and while another episode covers that day. An earlier
    episode whose plan has ended is closed on the plan's end date first.
    """
    sane_clinic_date(setup_date, "setup_date", today=today, within=PLAN_DATES)
    if setup_date > today:
        raise ValidationError({"setup_date": _("The set-up date cannot be in the future.")})
    plan = Assignment.objects.filter(patient=patient, status=Assignment.Status.ACTIVE).first()
    if plan is None:
        raise ValidationError({"plan": _("Assign a plan first: remote monitoring follows a running plan.")})
    if setup_date < plan.start_date:
        raise ValidationError({"setup_date": _("The set-up date cannot be before the plan started (%(date)s).")
                               % {"date": plan.start_date.isoformat()}})
    if plan.end_date is not None and setup_date > plan.end_date:
        raise ValidationError({"setup_date": _("The plan ends on %(date)s, before this date.")
                               % {"date": plan.end_date.isoformat()}})
    episodes = _episodes_locked(patient)
    for episode in episodes:
        end, _why = episode.end()
        if end is None or end >= setup_date:
            if end:
                running = _("Remote monitoring already runs from %(start)s to %(end)s: a new episode starts after "
                            "it ends.") % {"start": episode.setup_date.isoformat(), "end": end.isoformat()}
            else:
                running = _("Remote monitoring already runs from %(start)s: a new episode starts after it ends.") % {
                    "start": episode.setup_date.isoformat()}
            raise ValidationError({"setup_date": running})
        if episode.last_day is None:  # its plan ended: the episode ended with it
            episode.last_day = end
            episode.save(update_fields=["last_day"])
    episode = Enrolment(patient=patient, assignment=plan, setup_date=setup_date, enrolled_by=enrolled_by)
    episode.full_clean(validate_constraints=False)
    episode.save()
    logger.info("rtm episode %s started for patient %s by user %s", episode.pk, patient.pk,
                getattr(enrolled_by, "pk", None))
    return episode


@transaction.atomic
def enrolment_end(*, episode: Enrolment, last_day: dt.date, ended_by, today: dt.date,
                  now: dt.datetime | None = None) -> Enrolment:
    """Unenrol: `last_day` is the last day of monitoring (periods stop there; a period it cuts short is reported
    as truncated). Running timers on the patient are stopped and their minutes saved first."""
    now = now or timezone.now()
    episode = Enrolment.objects.select_for_update().select_related("assignment", "patient__clinic").get(pk=episode.pk)
    if episode.last_day is not None:
        raise ValidationError({"last_day": _("This episode has already ended.")})
    if last_day < episode.setup_date:
        raise ValidationError({"last_day": _("The last day cannot be before the set-up date (%(date)s).")
                               % {"date": episode.setup_date.isoformat()}})
    if last_day > today:
        raise ValidationError({"last_day": _("The last day cannot be in the future.")})
    plan_end = episode.assignment.end_date
    last_day = min(last_day, plan_end) if plan_end else last_day
    for timer in RunningTimer.objects.select_for_update().select_related("patient__clinic").filter(episode=episode):
        _timer_stop(timer, now=now, activity=TIMER_ACTIVITY, interactive=False, last_day=last_day)
    later = TimeEntry.objects.filter(episode=episode, date__gt=last_day).count()
    if later:
        raise ValidationError({"last_day": ngettext(
            "%(n)d management-time entry is dated after this day: change or delete it first, or choose a later "
            "day.",
            "%(n)d management-time entries are dated after this day: change or delete them first, or choose a "
            "later day.", later) % {"n": later}})
    episode.last_day, episode.ended_by, episode.ended_at = last_day, ended_by, now
    episode.save(update_fields=["last_day", "ended_by", "ended_at"])
    logger.info("rtm episode %s ended by user %s", episode.pk, getattr(ended_by, "pk", None))
    return episode


# ---------------------------------------------------------------------------
# The management timer
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimerStopped:
    """What stopping a timer saved: whole minutes (0: under half a minute, nothing saved) and the entry."""

    patient: Patient
    minutes: int
    entry: TimeEntry | None
    capped: bool = False  # ran longer than one entry may hold; ENTRY_MINUTES_MAX were saved


@dataclass(frozen=True)
class TimerStarted:
    timer: RunningTimer
    stopped: TimerStopped | None = None  # the timer that was running on another patient
    already_running: bool = False


def elapsed_minutes(started_at: dt.datetime, now: dt.datetime) -> int:
    """Whole minutes between two moments, a half minute or more rounding up (0 for a negative span)."""
    seconds = max((now - started_at).total_seconds(), 0)
    return int((seconds + 30) // 60)


def _timer_stop(timer: RunningTimer, *, now: dt.datetime, activity: str, interactive: bool,
                last_day: dt.date | None = None) -> TimerStopped:
    """Delete the timer and save its minutes as an entry dated the clinic's day it started (or the episode's last
    day, when the episode is being ended before that)."""
    patient = timer.patient
    minutes = elapsed_minutes(timer.started_at, now)
    capped = minutes > ENTRY_MINUTES_MAX
    minutes = min(minutes, ENTRY_MINUTES_MAX)
    day = _local_date(timer.started_at, patient.clinic)
    if last_day is not None:
        day = min(day, last_day)
    timer.delete()
    if minutes < 1:
        return TimerStopped(patient, 0, None)
    entry = TimeEntry(patient=patient, episode_id=timer.episode_id, author_id=timer.user_id, date=day,
                      minutes=minutes, activity=activity.strip(), interactive=interactive,
                      source=TimeEntry.Source.TIMER)
    entry.full_clean(validate_constraints=False)
    entry.save()
    logger.info("rtm timer of user %s stopped: entry %s for patient %s", timer.user_id, entry.pk, patient.pk)
    return TimerStopped(patient, minutes, entry, capped)


def _running_episode(patient: Patient, today: dt.date) -> Enrolment | None:
    return episode_on(list(Enrolment.objects.select_related("assignment").filter(patient=patient)), today)


@transaction.atomic
def timer_start(*, user, patient: Patient, now: dt.datetime | None = None) -> TimerStarted:
    """Start `user`'s management timer on `patient` (enrolled today). A timer of theirs running on another
    patient is stopped first and its minutes saved: one person's timer never counts two patients at once."""
    now = now or timezone.now()
    episode = _running_episode(patient, _local_date(now, patient.clinic))
    if episode is None:
        raise ValidationError(_("Enrol the patient in remote monitoring first: only monitored time counts."))
    current = RunningTimer.objects.select_for_update().select_related("patient__clinic").filter(user=user).first()
    if current is not None and current.patient_id == patient.pk:
        return TimerStarted(current, already_running=True)
    stopped = None
    if current is not None:
        stopped = _timer_stop(current, now=now, activity=TIMER_ACTIVITY, interactive=False)
    try:
        with transaction.atomic():
            timer = RunningTimer.objects.create(user=user, patient=patient, episode=episode, started_at=now)
    except IntegrityError:  # the same person started a timer in another tab at the same moment
        raise ValidationError(_("Another timer of yours was started at the same moment: reload the page.")) from None
    logger.info("rtm timer of user %s started on patient %s", getattr(user, "pk", None), patient.pk)
    return TimerStarted(timer, stopped)


@transaction.atomic
def timer_stop(*, user, patient: Patient, activity: str, interactive: bool,
               now: dt.datetime | None = None) -> TimerStopped:
    """Stop `user`'s timer on `patient` and save its minutes, with what was done and whether it was interactive."""
    timer = (RunningTimer.objects.select_for_update().select_related("patient__clinic")
             .filter(user=user, patient=patient).first())
    if timer is None:
        raise ValidationError(
            _("Your timer is not running on this patient (it may have been stopped in another tab)."))
    if not activity.strip():
        raise ValidationError({"activity": _("Say what was done.")})
    return _timer_stop(timer, now=now or timezone.now(), activity=activity, interactive=interactive)


# ---------------------------------------------------------------------------
# Management-time entries
# ---------------------------------------------------------------------------


def _entry_checked(entry: TimeEntry, *, today: dt.date) -> TimeEntry:
    """Dated today or before, inside one of the patient's episodes; then the model's own rules."""
    if entry.date > today:
        raise ValidationError({"date": _("Management time cannot be dated in the future.")})
    episode = episode_on(_episodes_locked(entry.patient), entry.date)
    if episode is None:
        raise ValidationError({"date": _("Time counts only while the patient is enrolled in remote monitoring: "
                                         "this day is outside every episode.")})
    entry.episode = episode
    entry.activity = entry.activity.strip()
    entry.full_clean(validate_constraints=False)
    return entry


@transaction.atomic
def time_entry_create(*, patient: Patient, author, date: dt.date, minutes: int, activity: str, interactive: bool,
                      today: dt.date) -> TimeEntry:
    """Log management time by hand, counted in `date`'s calendar month."""
    entry = _entry_checked(TimeEntry(patient=patient, author=author, date=date, minutes=minutes, activity=activity,
                                     interactive=interactive, source=TimeEntry.Source.MANUAL), today=today)
    entry.save()
    logger.info("rtm time entry %s logged for patient %s by user %s", entry.pk, patient.pk,
                getattr(author, "pk", None))
    return entry


@transaction.atomic
def time_entry_update(*, entry: TimeEntry, actor, date: dt.date, minutes: int, activity: str, interactive: bool,
                      today: dt.date) -> TimeEntry:
    """Change an entry: its author or a clinic admin only."""
    if not entry.editable_by(actor):
        raise PermissionDenied(_("Only the entry's author or a clinic admin may change it."))
    entry.date, entry.minutes, entry.activity, entry.interactive = date, minutes, activity, interactive
    entry.updated_by = actor.user
    _entry_checked(entry, today=today).save()
    logger.info("rtm time entry %s changed by user %s", entry.pk, actor.user.pk)
    return entry


@transaction.atomic
def time_entry_delete(*, entry: TimeEntry, actor) -> None:
    """Delete an entry: its author or a clinic admin only."""
    if not entry.editable_by(actor):
        raise PermissionDenied(_("Only the entry's author or a clinic admin may delete it."))
    logger.info("rtm time entry %s deleted by user %s", entry.pk, actor.user.pk)
    entry.delete()
