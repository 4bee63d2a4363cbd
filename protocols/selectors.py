"""Reads for the therapist's exercise library and protocol builder.

Every selector goes through `clinic.tenancy.scope_queryset` (the clinic's own
rows and Backstep's built-ins) and runs a fixed number of queries whatever
the number of templates, phases, exercises or ladder steps: list and detail
pages are guarded by query-count tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet

from clinic.builtin_text import builtin_texts_containing
from clinic.models import ClinicSettings
from clinic.tenancy import Actor, get_scoped_or_404, scope_queryset
from protocols import usage
from protocols.engine import DEFAULT_SETTINGS
from protocols.ladder import (
    MAX_AUTO_INCLINE_PCT,
    Load,
    StepReview,
    generate_ladder,
    ladder_spec_default,
    review_ladder,
)
from protocols.models import ExerciseTemplate, LadderStep, Phase, PrescribedExercise, Protocol

TEMPLATE_ORIGINS = ("builtin", "clinic")


def template_list(*, actor: Actor, kind: str = "", origin: str = "", search: str = "") -> QuerySet[ExerciseTemplate]:
    """The exercise templates a staff member may use: built-in and the clinic's own, filtered."""
    templates = scope_queryset(ExerciseTemplate.objects.all(), actor)
    if kind:
        templates = templates.filter(kind=kind)
    if origin == "builtin":
        templates = templates.filter(clinic__isnull=True)
    elif origin == "clinic":
        templates = templates.filter(clinic__isnull=False)
    search = search.strip()
    if search:
        shown = builtin_texts_containing(search)  # Backstep's words as the reader reads them
        templates = templates.filter(
            Q(name__icontains=search) | Q(instructions__icontains=search) | Q(safety_notes__icontains=search)
            | Q(name__in=shown) | Q(instructions__in=shown) | Q(safety_notes__in=shown)
        )
    return templates.order_by("name", "clinic_id", "id")


def template_choices(*, actor: Actor) -> QuerySet[ExerciseTemplate]:
    """Templates to pick from when prescribing an exercise: the clinic's own first, then built-ins."""
    return scope_queryset(ExerciseTemplate.objects.all(), actor).order_by(
        F("clinic_id").asc(nulls_last=True), "name", "id"
    )


def template_detail(*, actor: Actor, pk: int) -> ExerciseTemplate:
    """One template the actor may see (404 for other clinics'), with where it is used (two queries).

    `used_in`: every protocol the actor may see that prescribes it, the clinic's own and the built-in ones,
    each with `uses` (how many of its prescriptions, over all phases); `running_plans`: how many of the
    clinic's running plans (their snapshots) hold it.
    """
    template = get_scoped_or_404(ExerciseTemplate.objects.select_related("cloned_from"), actor, pk=pk)
    # The filter comes before the count, so `uses` counts only this template's prescriptions.
    template.used_in = list(
        scope_queryset(Protocol.objects.all(), actor)
        .filter(phases__exercises__template=template)
        .annotate(uses=Count("phases__exercises"))
        .order_by(F("clinic_id").asc(nulls_last=True), "name", "id")
    )
    template.running_plans = usage.template_running_plans(actor, template)
    return template


def template_ladder_preview(template: ExerciseTemplate, max_auto_incline_pct: Decimal) -> list[LadderRow]:
    """The ladder a ladder-kind template's defaults generate (nothing saved); [] for other kinds."""
    if not template.has_ladder:
        return []
    try:
        return preview_rows(generate_ladder(ladder_spec_default(template)), max_auto_incline_pct)
    except ValueError:
        return []


def with_protocol_summary(protocols: QuerySet[Protocol], actor: Actor) -> QuerySet[Protocol]:
    """Annotate phase and exercise counts and how many of *this clinic's* assignments use each protocol."""
    return protocols.annotate(
        phase_count=usage.row_count(Phase.objects.filter(protocol=OuterRef("pk")), "protocol"),
        exercise_count=usage.row_count(
            PrescribedExercise.objects.filter(phase__protocol=OuterRef("pk")), "phase__protocol"
        ),
        # Built-in protocols are assigned by many clinics; the count is only this clinic's.
        assignment_count=usage.protocol_assignment_count(actor),
    )


def protocol_list(
    *, actor: Actor, condition: str = "", show_archived: bool = False, search: str = ""
) -> QuerySet[Protocol]:
    """Built-in and clinic protocols, the clinic's own first; archived ones only when asked for."""
    protocols = scope_queryset(Protocol.objects.select_related("cloned_from"), actor)
    if condition:
        protocols = protocols.filter(condition=condition)
    if not show_archived:
        protocols = protocols.filter(is_archived=False)
    search = search.strip()
    if search:
        shown = builtin_texts_containing(search)
        protocols = protocols.filter(Q(name__icontains=search) | Q(description__icontains=search)
                                     | Q(name__in=shown) | Q(description__in=shown))
    return with_protocol_summary(protocols, actor).order_by(F("clinic_id").asc(nulls_last=True), "name", "id")


def protocol_choices_to_clone(*, actor: Actor) -> QuerySet[Protocol]:
    """Built-in protocols, offered as starting points on the "new protocol" page."""
    return scope_queryset(Protocol.objects.filter(clinic__isnull=True, is_archived=False), actor).order_by("name")


def max_auto_incline_pct(actor: Actor) -> Decimal:
    """The incline above which the engine holds for the therapist (rule R10): the clinic's override or 10 %."""
    default = DEFAULT_SETTINGS.get("max_auto_incline_pct", MAX_AUTO_INCLINE_PCT)
    if actor.clinic is None:
        return Decimal(str(default))
    overrides = (
        ClinicSettings.objects.filter(clinic=actor.clinic).values_list("engine_overrides", flat=True).first() or {}
    )
    value = overrides.get("max_auto_incline_pct", default) if isinstance(overrides, dict) else default
    return Decimal(str(value))


@dataclass(frozen=True)
class LadderRow:
    """One ladder step to show: its number (from 1), its review, and the saved row (None in a preview)."""

    number: int
    review: StepReview
    step: LadderStep | None = None


def ladder_rows(steps: list[LadderStep], max_incline: Decimal) -> list[LadderRow]:
    """Saved steps (in order) with their reviews against the step before."""
    loads = [Load(step.speed_kmh, step.incline_pct, step.duration_min) for step in steps]
    return [LadderRow(step.order + 1, review, step) for step, review in zip(steps, review_ladder(loads, max_incline))]


def preview_rows(loads: list[Load], max_incline: Decimal) -> list[LadderRow]:
    """Generated, unsaved steps with their reviews."""
    return [LadderRow(number, review) for number, review in enumerate(review_ladder(loads, max_incline), start=1)]


def protocol_detail(*, actor: Actor, pk: int) -> Protocol:
    """One protocol with its phases, exercises (and templates) and ladders, in five queries.

    Each ladder exercise gets `ladder_rows` and `override_count`; the protocol
    gets `max_incline` (the clinic's R10 limit) and `assignment_count`.
    """
    steps = LadderStep.objects.order_by("order")
    exercises = PrescribedExercise.objects.select_related("template").order_by("order").prefetch_related(
        Prefetch("ladder_steps", queryset=steps)
    )
    phases = Phase.objects.order_by("order").prefetch_related(Prefetch("exercises", queryset=exercises))
    queryset = with_protocol_summary(
        Protocol.objects.select_related("cloned_from").prefetch_related(Prefetch("phases", queryset=phases)), actor
    )
    protocol = get_scoped_or_404(queryset, actor, pk=pk)
    protocol.max_incline = max_auto_incline_pct(actor)
    protocol.override_count = 0
    for phase in protocol.phases.all():
        for exercise in phase.exercises.all():
            exercise.ladder_rows = ladder_rows(list(exercise.ladder_steps.all()), protocol.max_incline)
            exercise.override_count = sum(1 for row in exercise.ladder_rows if row.review.needs_override)
            protocol.override_count += exercise.override_count
    return protocol


def ladder_step_context(step: LadderStep) -> dict:
    """The steps either side of `step`, to show what an edit changes."""
    siblings = LadderStep.objects.filter(exercise_id=step.exercise_id)
    return {
        "previous": siblings.filter(order=step.order - 1).first(),
        "next": siblings.filter(order=step.order + 1).first(),
    }
