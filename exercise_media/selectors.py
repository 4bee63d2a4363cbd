"""Reads of exercise media and education texts, and who may see which file.

Staff see their own clinic's media through the tenancy filter. A patient sees
the media of their own plan: pictures and videos made for one of their
exercises, and those of the clinic templates their exercises were assigned
from. Anyone else is told the file does not exist (404).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404

from clinic.builtin_text import builtin_text
from clinic.models import Clinic
from clinic.tenancy import Actor, get_scoped_or_404, scope_queryset
from exercise_media.demonstrations import INCLINED, name_for
from exercise_media.education import BY_SLUG, TOPICS
from exercise_media.models import EducationText, ExerciseMedia
from patients.models import AssignedExercise, Patient
from protocols.models import ExerciseTemplate

logger = logging.getLogger(__name__)
# When the cache (Redis) is down or hung, the phone pages read the database instead, and stop asking the cache
# for this long, so one outage costs one request a socket timeout rather than every page several.
CACHE_BACKOFF_SECONDS = 60
_cache_down_until = 0.0


def _cache_failed(error: Exception) -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_BACKOFF_SECONDS
    logger.warning("media cache unavailable (%s): reading the database for %d s", type(error).__name__,
                   CACHE_BACKOFF_SECONDS)


def _cache_get(key: str | None):
    """The cached value, or None when there is none or the cache cannot answer (never an error for the page)."""
    if key is None or time.monotonic() < _cache_down_until:
        return None
    try:
        return cache.get(key)
    except Exception as error:  # noqa: BLE001 - any cache failure: the database has the answer
        _cache_failed(error)
        return None


def _cache_set(key: str, value) -> None:
    """Keep `value` in the cache when it is reachable; a failure only means the next page reads the database."""
    if time.monotonic() < _cache_down_until:
        return
    try:
        cache.set(key, value, CACHE_SECONDS)
    except Exception as error:  # noqa: BLE001 - see _cache_get
        _cache_failed(error)


@dataclass(frozen=True)
class MediaRef:
    """What a page needs of a ready picture or video, small enough to keep in the cache."""

    pk: int
    kind: str
    description: str
    width: int | None
    height: int | None
    is_patient_specific: bool

    @property
    def is_video(self) -> bool:
        return self.kind == ExerciseMedia.Kind.VIDEO

    @classmethod
    def of(cls, media: ExerciseMedia) -> MediaRef:
        return cls(pk=media.pk, kind=media.kind, description=media.description, width=media.width,
                   height=media.height, is_patient_specific=media.is_patient_specific)


@dataclass
class Shown:
    """What an exercise is illustrated with: the clinic's media (ready ones, the patient's own first) and
    Backstep's drawing, at the patient's incline where the drawing has one."""

    demonstration: str | None = None
    incline: Decimal | None = None
    media: list[MediaRef] = field(default_factory=list)

    @property
    def first(self) -> MediaRef | None:
        return self.media[0] if self.media else None


def _drawing_names(template_ids) -> dict[int, str | None]:
    """template id -> the name of its built-in drawing (its own slug, what it was copied from, or its kind)."""
    rows = ExerciseTemplate.objects.filter(pk__in=set(template_ids)).values_list(
        "pk", "slug", "cloned_from__slug", "kind")
    return {pk: name_for(slugs=tuple(s for s in (slug, source) if s), kind=kind) for pk, slug, source, kind in rows}


# --- The phone's read path: kept warm in the cache --------------------------------------------------------------
#
# The phone pages (today, the session form) read nothing from the database for media and education: what they
# need is cached per clinic (template media, education wording), per patient (their own media) and per plan
# (which drawing each exercise gets). Signing in warms the cache (exercise_media.apps), and every write that
# changes it writes it again (services). A key names its row's creation time as well as its id, so a key can
# never describe another row that got the same id. A missing key is rebuilt from the database on the spot.

CACHE_SECONDS = 24 * 60 * 60
# Part of every key: raise it when what is cached changes shape, so a new release never reads an old entry.
CACHE_VERSION = 1


def _key(kind: str, row) -> str:
    return f"exercise_media:v{CACHE_VERSION}:{kind}:{row.pk}:{int(row.created_at.timestamp() * 1_000_000)}"


@dataclass(frozen=True)
class ClinicMedia:
    by_template: dict[int, list[MediaRef]]
    education: dict[str, tuple[str, str]]  # topic slug -> (title, body) of the clinic's own wording


def clinic_media_build(clinic) -> ClinicMedia:
    """The clinic's ready template media and education wording, from the database (two queries)."""
    by_template: dict[int, list[MediaRef]] = {}
    for media in ExerciseMedia.objects.filter(clinic=clinic, template__isnull=False,
                                              status=ExerciseMedia.Status.READY).order_by("created_at", "pk"):
        by_template.setdefault(media.template_id, []).append(MediaRef.of(media))
    education = {row.topic: (row.title, row.body) for row in EducationText.objects.filter(clinic=clinic)}
    return ClinicMedia(by_template=by_template, education=education)


def patient_media_build(patient) -> dict[int, list[MediaRef]]:
    """exercise id -> the patient's own ready media, from the database (one query)."""
    by_exercise: dict[int, list[MediaRef]] = {}
    for media in ExerciseMedia.objects.filter(patient=patient, status=ExerciseMedia.Status.READY).order_by(
            "created_at", "pk"):
        by_exercise.setdefault(media.exercise_id, []).append(MediaRef.of(media))
    return by_exercise


def clinic_media(clinic) -> ClinicMedia:
    key = _key("clinic", clinic)
    found = _cache_get(key)
    if found is None:
        found = clinic_media_build(clinic)
        _cache_set(key, found)
    return found


def patient_media(patient) -> dict[int, list[MediaRef]]:
    key = _key("patient", patient)
    found = _cache_get(key)
    if found is None:
        found = patient_media_build(patient)
        _cache_set(key, found)
    return found


def plan_drawings(assignment, exercises) -> dict[int, str | None]:
    """exercise id -> drawing name for one assignment's exercises. A plan is a snapshot whose exercises keep
    their template for good, so once worked out this never changes: cached per assignment."""
    key = _key("drawings", assignment) if assignment is not None else None
    found = _cache_get(key)
    missing = [e for e in exercises if found is None or e.pk not in found]
    if missing:
        names = _drawing_names({e.template_id for e in missing if e.template_id})
        found = dict(found or {})
        found.update({e.pk: names.get(e.template_id) or name_for(kind=e.kind) for e in missing})
        if key:
            _cache_set(key, found)
    return found or {}


def _assignment_of(exercises):
    """The one assignment the exercises share, if the page already loaded it (never a query)."""
    loaded = {e.assignment for e in exercises if AssignedExercise.assignment.is_cached(e)}
    return loaded.pop() if len(loaded) == 1 and all(AssignedExercise.assignment.is_cached(e) for e in exercises) \
        else None


def plan_media(*, clinic, patient, exercises) -> dict[int, Shown]:
    """exercise pk -> Shown, for a patient's assigned exercises (annotated with `step_incline` where they have a
    ladder). No query when the cache is warm; a handful when it is not."""
    exercises = list(exercises)
    if not exercises:
        return {}
    drawings = plan_drawings(_assignment_of(exercises), exercises)
    of_clinic = clinic_media(clinic).by_template
    own = patient_media(patient)
    shown = {}
    for exercise in exercises:
        name = drawings.get(exercise.pk)
        incline = getattr(exercise, "step_incline", None) if name in INCLINED else None
        shown[exercise.pk] = Shown(demonstration=name, incline=incline,
                                   media=own.get(exercise.pk, []) + of_clinic.get(exercise.template_id, []))
    return shown


def warm_for_patient(user) -> None:
    """Fill the phone's cache for a patient who just signed in (nothing for staff)."""
    patient = Patient.objects.select_related("clinic").filter(user=user).first()
    if patient is None:
        return
    clinic_media(patient.clinic)
    patient_media(patient)
    exercises = list(AssignedExercise.objects.filter(assignment__patient=patient, assignment__status="active")
                     .select_related("assignment"))
    if exercises:
        plan_drawings(_assignment_of(exercises), exercises)


def media_cache_refresh(*, clinic_id: int, patient_id: int | None = None) -> None:
    """Write the cached read path again after a change to a clinic's (or a patient's) media or wording."""
    clinic = Clinic.objects.filter(pk=clinic_id).first()
    if clinic is not None:
        _cache_set(_key("clinic", clinic), clinic_media_build(clinic))
    if patient_id is not None:
        patient = Patient.objects.filter(pk=patient_id).first()
        if patient is not None:
            _cache_set(_key("patient", patient), patient_media_build(patient))


def template_media(*, actor: Actor, templates) -> dict[int, Shown]:
    """template pk -> Shown, for the library and the builder: the clinic's ready media and the drawing."""
    templates = list(templates)
    ids = {t.pk for t in templates}
    names = _drawing_names(ids) if ids else {}
    ready: dict[int, list[MediaRef]] = {}
    if ids:
        rows = scope_queryset(ExerciseMedia.objects.filter(template_id__in=ids, status=ExerciseMedia.Status.READY),
                              actor).order_by("created_at", "pk")
        for media in rows:
            ready.setdefault(media.template_id, []).append(MediaRef.of(media))
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


def education_texts(*, clinic) -> dict[str, Education]:
    """topic slug -> what the clinic says about it (its own wording, else Backstep's). Cached with the clinic's
    media (no query when warm)."""
    own = clinic_media(clinic).education if clinic is not None else {}
    texts = {}
    for topic in TOPICS:
        title, body = own.get(topic.slug, (topic.title, topic.body))
        # Backstep's wording in the reader's language; the clinic's own wording exactly as it wrote it.
        title, body = builtin_text(title), builtin_text(body)
        texts[topic.slug] = Education(slug=topic.slug, title=title, moment=builtin_text(topic.moment),
                                      is_default=topic.slug not in own,
                                      lines=[line.strip() for line in body.splitlines() if line.strip()])
    return texts


def education_topic(*, slug: str):
    """The topic, or Http404 for an unknown slug."""
    if slug not in BY_SLUG:
        raise Http404("No such topic")
    return BY_SLUG[slug]


def education_text_row(*, actor: Actor, slug: str) -> EducationText | None:
    return scope_queryset(EducationText.objects.filter(topic=slug), actor).first()
