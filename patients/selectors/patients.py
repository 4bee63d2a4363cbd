"""Reads about patients: the therapist's patient list, the patient page, page visits and invitations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from clinic.invitations import InvitationAccount, Offer, invitation_account
from clinic.models import User
from clinic.tenancy import Actor, get_scoped_or_404, scope_queryset
from clinic.tokens import token_hash
from patients.adherence import active_range, done_by_week, week_figures
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    Assignment,
    Flag,
    Invitation,
    JoinCode,
    Measurement,
    Patient,
    PatientPageVisit,
    PhaseVersion,
    SessionLog,
    StepVersion,
)
from patients.selectors.charts import pain_by_day, step_changes, weeks_chart
from patients.selectors.flags import UNRESOLVED, unresolved_flag_count, with_red_pain_beside
from patients.selectors.plans import current_phase_ids, with_current_load
from protocols.models import Protocol

PATIENT_SORTS = {
    "name": ("last_name", "first_name", "id"),
    "-last_session": ("-last_session_date", "last_name", "id"),
    "last_session": ("last_session_date", "last_name", "id"),
    "flags": ("-urgent_flags", "-warning_flags", "-open_flags", "last_name", "id"),
}


def latest_pain_during() -> Subquery:
    """Pain during the patient's latest session (by date, then time logged), as an annotation on patients."""
    latest = SessionLog.objects.filter(patient=OuterRef("pk")).order_by("-date", "-created_at", "-id")
    return Subquery(latest.values("pain_during")[:1], output_field=IntegerField())


def patient_latest_pain_during(patient: Patient) -> int | None:
    """Pain during `patient`'s latest session, read once per patient object (kept on it), only when a page asks.

    Pages that list patients annotate it (`latest_pain_during()`); the signed-in patient's own comes from
    here, so the requests that show no red-session notice (a logged session, the API) never read it.
    """
    if not hasattr(patient, "latest_pain_during"):
        patient.latest_pain_during = (
            SessionLog.objects.filter(patient=patient).order_by("-date", "-created_at", "-id")
            .values_list("pain_during", flat=True).first()
        )
    return patient.latest_pain_during


def patient_list(*, actor: Actor, mine_only: bool = False, search: str = "", condition: str = "",
                 severity: str = "", therapist_id: int | None = None, sort: str = "name") -> QuerySet[Patient]:
    """The patients an actor may see, with last session date and unresolved flag counts by severity."""
    patients = scope_queryset(Patient.objects.all(), actor).select_related("therapist")
    if mine_only:
        patients = patients.filter(therapist=actor.user)
    if therapist_id:
        patients = patients.filter(therapist_id=therapist_id)
    if condition:
        patients = patients.filter(condition=condition)
    search = search.strip()
    if search:
        patients = patients.filter(
            Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(external_ref__icontains=search)
        )
    patients = with_patient_summary(patients)
    if severity:
        patients = patients.filter(**{f"{severity}_flags__gt": 0})
    order = PATIENT_SORTS.get(sort, PATIENT_SORTS["name"])
    return patients.order_by(*[F(o[1:]).desc(nulls_last=True) if o.startswith("-") else F(o).asc(nulls_last=True)
                               for o in order])


def with_patient_summary(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Annotate each patient with the last session date and unresolved (and urgent) flag counts: no extra queries."""
    last_session = SessionLog.objects.filter(patient=OuterRef("pk")).order_by("-date").values("date")[:1]
    return patients.annotate(
        last_session_date=Subquery(last_session),
        open_flags=unresolved_flag_count(),
        urgent_flags=unresolved_flag_count(Flag.Severity.URGENT),
        warning_flags=unresolved_flag_count(Flag.Severity.WARNING),
        info_flags=unresolved_flag_count(Flag.Severity.INFO),
    )


# ---------------------------------------------------------------------------
# The therapist's patient page
# ---------------------------------------------------------------------------


@dataclass
class PatientOverview:
    patient: Patient
    assignment: Assignment | None
    phases: list = field(default_factory=list)
    current_phase_id: int | None = None
    exercises: list[AssignedExercise] = field(default_factory=list)
    ladders: dict[int, list[AssignedLadderStep]] = field(default_factory=dict)
    step_history: list[StepVersion] = field(default_factory=list)
    phase_history: list[PhaseVersion] = field(default_factory=list)
    chart: dict = field(default_factory=dict)
    weeks: list = field(default_factory=list)
    open_flags: list[Flag] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)

    @property
    def ladder_exercises(self) -> list[AssignedExercise]:
        return [e for e in self.exercises if e.has_ladder]


def patient_overview(*, patient: Patient, today: dt.date) -> PatientOverview:
    """Everything the patient page shows, in a fixed number of queries whatever the history's length."""
    active_first = Case(When(status=Assignment.Status.ACTIVE, then=Value(0)), default=Value(1),
                        output_field=IntegerField())
    # The questionnaires panel (outcomes' rows, by their reverse names: patients does not import outcomes) reads
    # more only when the plan asks questionnaires or the patient answered some.
    assignment = (Assignment.objects.filter(patient=patient).order_by(active_first, "-start_date", "-pk")
                  .annotate(asked_questionnaires=Count("questionnaires", distinct=True),
                            answered_questionnaires=Count("patient__questionnaire_responses", distinct=True,
                                                          filter=Q(patient__questionnaire_responses__status="submitted")))
                  .first())
    overview = PatientOverview(
        patient=patient,
        assignment=assignment,
        measurements=list(Measurement.objects.filter(patient=patient).select_related("recorded_by")[:20]),
        open_flags=list(with_red_pain_beside(
            Flag.objects.filter(patient=patient, status__in=UNRESOLVED).select_related("exercise"))),
    )
    if assignment is not None:
        _add_plan(overview, assignment)
        _add_charts(overview, assignment, today)
    return overview


def _add_plan(overview: PatientOverview, assignment: Assignment) -> None:
    """The plan's phases, the current phase's exercises, every ladder, and the step and phase histories."""
    overview.phases = list(assignment.phases.order_by("order"))
    overview.current_phase_id = current_phase_ids([assignment.pk]).get(assignment.pk)
    overview.exercises = list(
        with_current_load(AssignedExercise.objects.filter(phase_id=overview.current_phase_id)).order_by("order")
    )
    for step in AssignedLadderStep.objects.filter(exercise__assignment=assignment).order_by("exercise_id", "order"):
        overview.ladders.setdefault(step.exercise_id, []).append(step)
    overview.step_history = list(
        StepVersion.objects.filter(exercise__assignment=assignment).select_related("exercise", "changed_by")
        .order_by("-effective_date", "-created_at", "-id")[:50]
    )
    for version in overview.step_history:  # "level 5 of 9" needs the ladder's size
        version.ladder_size = len(overview.ladders.get(version.exercise_id, []))
    overview.phase_history = list(
        PhaseVersion.objects.filter(assignment=assignment).select_related("phase", "changed_by")
    )


def _add_charts(overview: PatientOverview, assignment: Assignment, today: dt.date) -> None:
    """The pain chart with the step changes marked on it, and the training days of each week of the plan."""
    end = min(assignment.end_date or today, today)
    plan_sessions = SessionLog.objects.filter(exercise__assignment=assignment)
    training_days = plan_sessions.filter(date__gte=assignment.start_date, date__lte=end,
                                         completed=True).values_list("date", flat=True)
    overview.weeks = week_figures(
        sessions_per_week=assignment.sessions_per_week,
        active=active_range(start_date=assignment.start_date, end_date=assignment.end_date,
                            window=(assignment.start_date, today), today=today),
        done_by_week=done_by_week(training_days),
    )
    overview.chart = pain_by_day(sessions=plan_sessions, patient=overview.patient, start=assignment.start_date,
                                 end=end)
    overview.chart["changes"] = step_changes(overview.step_history, overview.ladders)
    overview.chart["weeks"] = weeks_chart(overview.weeks, assignment.sessions_per_week)


# ---------------------------------------------------------------------------
# Page visits: what is "new" to a staff member
# ---------------------------------------------------------------------------


def is_new(logged_at: dt.datetime, last_visit: dt.datetime | None) -> bool:
    """"New" to a staff member: logged after they last opened the patient's page (or they never have)."""
    return last_visit is None or logged_at > last_visit


def last_page_visits(*, user, patient_ids) -> dict[int, dt.datetime]:
    """patient id -> when `user` last opened that patient's page (one query)."""
    return dict(PatientPageVisit.objects.filter(user=user, patient_id__in=set(patient_ids))
                .values_list("patient_id", "visited_at"))


def mark_new(sessions, visits: dict[int, dt.datetime]) -> None:
    """Set `is_new` on each session for the staff member whose page visits these are."""
    for session in sessions:
        session.is_new = is_new(session.created_at, visits.get(session.patient_id))


# ---------------------------------------------------------------------------
# Invitations
# ---------------------------------------------------------------------------


def open_invitation_exists(*, patient: Patient) -> bool:
    """Whether the patient has an invitation link that still works (unused, not expired): one query."""
    return Invitation.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=timezone.now()).exists()


def invitation_offer(patient: Patient) -> Offer:
    """What a patient's invitation gives: that patient's profile in its clinic."""
    return Offer(clinic=patient.clinic, patient=patient)


def invitation_account_for(*, invitation, signed_in=None) -> InvitationAccount:
    """What the invitation page may offer its visitor, by the one rule of clinic.invitations.

    Being signed in as the invitation's account is proof of owning it; being
    signed in as anyone else is no proof at all.
    """
    patient = invitation.patient
    proven = signed_in if signed_in is not None and signed_in.is_authenticated else None
    return invitation_account(email=patient.email, offer=invitation_offer(patient), holder=patient.user,
                              proven=proven)


class InvitationInvalid(Exception):
    """The link cannot be used: `reason` is "unknown", "used" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def invitation_check(token: str):
    """The usable invitation for `token`, or InvitationInvalid saying why not."""
    invitation = Invitation.objects.select_related("patient__clinic", "patient__user").filter(
        token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationInvalid("unknown")
    if invitation.used_at is not None:
        raise InvitationInvalid("used")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("expired")
    return invitation


def patient_get(*, actor: Actor, pk: int) -> Patient:
    """One patient the actor may see, with therapist, clinic and login; 404 for other clinics' patients."""
    return get_scoped_or_404(Patient.objects.select_related("therapist", "clinic", "user"), actor, pk=pk)


def therapist_choices(*, actor: Actor) -> QuerySet[User]:
    """The active staff accounts of the actor's clinic, by first name (the patient list's therapist filter)."""
    return User.objects.filter(memberships__clinic=actor.clinic, is_active=True).order_by("first_name")


def assignable_protocols(*, actor: Actor, patient: Patient) -> QuerySet[Protocol]:
    """The protocols the actor may assign to `patient`: built-in or the clinic's, unarchived, for its condition."""
    protocols = Protocol.objects.filter(is_archived=False, condition=patient.condition)
    return scope_queryset(protocols, actor).order_by("clinic_id", "name")


def join_code_open(join_code_id) -> JoinCode | None:
    """A join code the session holds, if it can still be used (open, not expired, patient not yet joined)."""
    if not isinstance(join_code_id, int):
        return None
    join_code = (JoinCode.objects.select_related("patient__user", "patient__clinic")
                 .filter(pk=join_code_id, used_at__isnull=True, voided_at__isnull=True,
                         expires_at__gt=timezone.now()).first())
    if join_code is None or (join_code.patient.user is not None and join_code.patient.user.has_usable_password()):
        return None
    return join_code
