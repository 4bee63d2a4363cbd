"""The inbox: unresolved flags, the sessions behind them, and the patients' notes nobody has seen yet."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from clinic.tenancy import Actor, get_scoped_or_404, scope_queryset
from patients.models import Flag, PatientPageVisit, SessionLog

UNRESOLVED = [Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED]
SEVERITY_ORDER = {Flag.Severity.URGENT: 0, Flag.Severity.WARNING: 1, Flag.Severity.INFO: 2}
NOTES_IN_INBOX = 20


def unresolved_flag_count(severity: str | None = None) -> Coalesce:
    """An annotation on patients: how many unresolved flags (of one severity when given) each has."""
    flags = Flag.objects.filter(patient=OuterRef("pk"), status__in=UNRESOLVED)
    if severity:
        flags = flags.filter(severity=severity)
    counted = flags.order_by().values("patient").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_red_pain_beside(flags: QuerySet[Flag]) -> QuerySet[Flag]:
    """Annotate `red_pain_beside`: an unresolved red-pain flag exists for the same patient and exercise.

    An "Improved" flag (morning pain over 7 days) can be open while the latest session was red; the pages
    then say which one to act on (the red-pain flag), so the two never sit side by side unexplained.
    """
    red = Flag.objects.filter(patient=OuterRef("patient"), exercise=OuterRef("exercise"), kind="pain_red",
                              status__in=UNRESOLVED)
    return flags.annotate(red_pain_beside=Exists(red))


def _unresolved_flags(*, actor: Actor, mine_only: bool) -> QuerySet[Flag]:
    flags = scope_queryset(Flag.objects.all(), actor).filter(status__in=UNRESOLVED)
    if mine_only:
        flags = flags.filter(patient__therapist=actor.user)
    return flags


def inbox_mine_by_default(actor: Actor) -> bool:
    """Therapists' inbox opens on their own patients; clinic admins' on the whole clinic."""
    return not actor.is_clinic_admin


def open_flag_count(*, actor: Actor) -> int:
    """How many flags the actor's inbox shows when opened (the navigation's count), in one COUNT query."""
    return _unresolved_flags(actor=actor, mine_only=inbox_mine_by_default(actor)).count()


def flag_inbox(*, actor: Actor, mine_only: bool = False) -> QuerySet[Flag]:
    """Unresolved flags the actor may see, urgent first, newest first within a severity."""
    flags = _unresolved_flags(actor=actor, mine_only=mine_only)
    rank = Case(*[When(severity=s, then=Value(n)) for s, n in SEVERITY_ORDER.items()], output_field=IntegerField())
    return with_red_pain_beside(flags.select_related("patient", "exercise")).annotate(severity_rank=rank).order_by(
        "severity_rank", "-created_at", "-id"
    )


def sessions_behind_flags(flags: list[Flag], per_flag: int = 4) -> dict[int, list[SessionLog]]:
    """flag id -> the latest sessions of its exercise up to the check that raised it (one query)."""
    if not flags:
        return {}
    exercise_ids = {flag.exercise_id for flag in flags}
    oldest = min(flag.created_at.date() for flag in flags) - dt.timedelta(days=21)
    sessions: dict[int, list[SessionLog]] = {}
    # With their exercise: each row names it and writes its dose by the exercise's kind.
    for session in (SessionLog.objects.filter(exercise_id__in=exercise_ids, date__gte=oldest)
                    .select_related("exercise").order_by("exercise_id", "-date", "-pk")):
        sessions.setdefault(session.exercise_id, []).append(session)
    result = {}
    for flag in flags:
        as_of = dt.date.fromisoformat(flag.evidence["as_of"]) if flag.evidence.get("as_of") else None
        mine = [s for s in sessions.get(flag.exercise_id, []) if as_of is None or s.date <= as_of]
        result[flag.pk] = mine[:per_flag]
    return result


def unseen_patient_notes(*, actor: Actor, mine_only: bool = False,
                         limit: int = NOTES_IN_INBOX) -> tuple[list[SessionLog], bool]:
    """Sessions with a patient's note, or stopped early, that the actor has not seen on the patient page.

    Newest first, at most `limit` (and whether there are more), in one query.
    Opening the patient's page marks them seen (services.patient_page_visit_record).
    """
    last_visit = PatientPageVisit.objects.filter(user=actor.user, patient=OuterRef("patient_id")).values("visited_at")
    sessions = (
        scope_queryset(SessionLog.objects.all(), actor)
        .filter(Q(notes__gt="") | Q(completed=False))
        .annotate(last_visit=Subquery(last_visit[:1]))
        .filter(Q(last_visit__isnull=True) | Q(created_at__gt=F("last_visit")))
    )
    if mine_only:
        sessions = sessions.filter(patient__therapist=actor.user)
    found = list(sessions.select_related("patient", "exercise").order_by("-created_at", "-id")[:limit + 1])
    for session in found:
        session.is_new = True
    return found[:limit], len(found) > limit


def flag_get(*, actor: Actor, pk: int) -> Flag:
    """One flag the actor may see, with its patient; 404 for other clinics' flags."""
    return get_scoped_or_404(Flag.objects.select_related("patient"), actor, pk=pk)


def flags_get(*, actor: Actor, ids: list[int]) -> QuerySet[Flag]:
    """The flags `ids` the actor may see, with their patients; ids of other clinics' flags are left out."""
    return scope_queryset(Flag.objects.filter(pk__in=ids), actor).select_related("patient")
