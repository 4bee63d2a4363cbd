"""Reads of exercise media and education texts, and who may see which file.

Staff see their own clinic's media through the tenancy filter. A patient sees
the media of their own plan: pictures and videos made for one of their
exercises, and those of the clinic templates their exercises were assigned
from. Anyone else is told the file does not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404

from clinic.tenancy import Actor, get_scoped_or_404, scope_queryset
from exercise_media.demonstrations import INCLINED, name_for
from exercise_media.education import BY_SLUG, TOPICS
from exercise_media.models import EducationText, ExerciseMedia
from patients.models import AssignedExercise, Patient
from protocols.models import ExerciseTemplate


@dataclass
class Shown:
    """What an exercise is illustrated with: the clinic's media (ready ones, the patient's own first) and
    Backstep's drawing, at the patient's incline where the drawing has one."""

    demonstration: str | None = None
    incline: Decimal | None = None
    media: list[ExerciseMedia] = field(default_factory=list)

    @property
    def first(self) -> ExerciseMedia | None:
        return self.media[0] if self.media else None


def _drawing_names(template_ids) -> dict[int, str | None]:
    """template id -> the name of its built-in drawing (its own slug, what it was copied from, or its kind)."""
    rows = ExerciseTemplate.objects.filter(pk__in=set(template_ids)).values_list(
        "pk", "slug", "cloned_from__slug", "kind")
    return {pk: name_for(slugs=tuple(s for s in (slug, source) if s), kind=kind) for pk, slug, source, kind in rows}


def plan_media(*, clinic_id: int, exercises) -> dict[int, Shown]:
    """exercise pk -> Shown, for a patient's assigned exercises (annotated with `step_incline` where they have a
    ladder). Two queries, whatever the number of exercises."""
    exercises = list(exercises)
    template_ids = {e.template_id for e in exercises if e.template_id}
    names = _drawing_names(template_ids) if template_ids else {}
    ready = ExerciseMedia.objects.filter(status=ExerciseMedia.Status.READY).filter(
        Q(exercise_id__in=[e.pk for e in exercises]) | Q(template_id__in=template_ids, clinic_id=clinic_id))
    own: dict[int, list[ExerciseMedia]] = {}
    of_template: dict[int, list[ExerciseMedia]] = {}
    for media in ready.order_by("created_at", "pk") if exercises else []:
        if media.exercise_id:
            own.setdefault(media.exercise_id, []).append(media)
        else:
            of_template.setdefault(media.template_id, []).append(media)
    shown = {}
    for exercise in exercises:
        name = names.get(exercise.template_id) or name_for(kind=exercise.kind)
        incline = getattr(exercise, "step_incline", None) if name in INCLINED else None
        shown[exercise.pk] = Shown(demonstration=name, incline=incline,
                                   media=own.get(exercise.pk, []) + of_template.get(exercise.template_id, []))
    return shown


def template_media(*, actor: Actor, templates) -> dict[int, Shown]:
    """template pk -> Shown, for the library and the builder: the clinic's ready media and the drawing."""
    templates = list(templates)
    ids = {t.pk for t in templates}
    names = _drawing_names(ids) if ids else {}
    ready: dict[int, list[ExerciseMedia]] = {}
    if ids:
        rows = scope_queryset(ExerciseMedia.objects.filter(template_id__in=ids, status=ExerciseMedia.Status.READY),
                              actor).order_by("created_at", "pk")
        for media in rows:
            ready.setdefault(media.template_id, []).append(media)
    return {t.pk: Shown(demonstration=names.get(t.pk), media=ready.get(t.pk, [])) for t in templates}


def template_media_list(*, actor: Actor, template: ExerciseTemplate) -> QuerySet[ExerciseMedia]:
    """Every picture and video of a clinic template, in any state, oldest first (its media page)."""
    return scope_queryset(ExerciseMedia.objects.filter(template=template), actor).order_by("created_at", "pk")


def plan_exercises_for_media(*, patient: Patient) -> QuerySet[AssignedExercise]:
    """The exercises of the patient's active plan, in plan order: what media can be added to."""
    return (AssignedExercise.objects.filter(assignment__patient=patient, assignment__status="active")
            .select_related("phase").order_by("phase__order", "order"))


def patient_media_list(*, actor: Actor, patient: Patient) -> QuerySet[ExerciseMedia]:
    """Every picture and video made for this patient's exercises, in any state."""
    return (scope_queryset(ExerciseMedia.objects.filter(patient=patient), actor)
            .select_related("exercise").order_by("created_at", "pk"))


def editable_template(*, actor: Actor, pk: int) -> ExerciseTemplate:
    """A template of the actor's own clinic (built-in ones take no uploads: clone first); 404 otherwise."""
    return get_scoped_or_404(ExerciseTemplate.objects.filter(clinic__isnull=False), actor, pk=pk)


def media_of_template(*, actor: Actor, template: ExerciseTemplate, pk: int) -> ExerciseMedia:
    return get_scoped_or_404(ExerciseMedia.objects.filter(template=template), actor, pk=pk)


def media_of_patient(*, actor: Actor, patient: Patient, pk: int) -> ExerciseMedia:
    return get_scoped_or_404(ExerciseMedia.objects.filter(patient=patient), actor, pk=pk)


def media_status(*, actor: Actor, pk: int) -> ExerciseMedia:
    """One media row of the staff member's clinic (for the progress of a conversion); 404 otherwise."""
    return get_scoped_or_404(ExerciseMedia.objects.all(), actor, pk=pk)


def servable_media(*, actor: Actor, pk: int, patient_specific: bool) -> ExerciseMedia:
    """A ready media file the actor may see; Http404 for everyone else (another clinic, another patient,
    signed out), so a file's existence is never confirmed to them."""
    rows = ExerciseMedia.objects.filter(pk=pk, status=ExerciseMedia.Status.READY,
                                        exercise__isnull=not patient_specific)
    if actor.is_staff_member:
        media = scope_queryset(rows, actor).first()
    elif actor.is_patient:
        media = rows.filter(clinic_id=actor.clinic.pk).first()
        if media is not None and not _patient_may_see(actor, media):
            media = None
    else:
        media = None
    if media is None:
        raise Http404("No such media")
    return media


def _patient_may_see(actor: Actor, media: ExerciseMedia) -> bool:
    if media.patient_id is not None:
        return media.patient_id == actor.patient.pk
    return scope_queryset(AssignedExercise.objects.filter(template_id=media.template_id), actor).exists()


# --- Education --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Education:
    slug: str
    title: str
    lines: list[str]
    moment: str
    is_default: bool


def education_texts(*, clinic_id: int | None) -> dict[str, Education]:
    """topic slug -> what the clinic says about it (its own wording, else Backstep's). One query."""
    own = {row.topic: row for row in EducationText.objects.filter(clinic_id=clinic_id)} if clinic_id else {}
    texts = {}
    for topic in TOPICS:
        row = own.get(topic.slug)
        title, body = (row.title, row.body) if row else (topic.title, topic.body)
        texts[topic.slug] = Education(slug=topic.slug, title=title, moment=topic.moment, is_default=row is None,
                                      lines=[line.strip() for line in body.splitlines() if line.strip()])
    return texts


def education_topic(*, slug: str):
    """The topic, or Http404 for an unknown slug."""
    if slug not in BY_SLUG:
        raise Http404("No such topic")
    return BY_SLUG[slug]


def education_text_row(*, actor: Actor, slug: str) -> EducationText | None:
    return scope_queryset(EducationText.objects.filter(topic=slug), actor).first()
