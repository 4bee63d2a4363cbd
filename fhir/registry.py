"""Every kind of row Backstep exposes as FHIR, in one table: how to find a clinic's rows and what each becomes.

`RESOURCE_TYPES` maps a source key to a `ResourceType`. Most FHIR types have
one source, keyed by the type's name ("Patient"). Observation has several,
keyed "Observation.<what>": session logs, morning check-ins, and one source
per measured value ("Observation.measurement.quad-lsi", ...). Each source row
is exactly one resource, so `to_fhir(row)` always returns one dict and a
count of rows is a count of resources. `FHIR_TYPES` groups the sources by
FHIR type name, in the order the API and exports list them.

Every `rows()` queryset is scoped to one clinic (through the model's declared
TENANT_CLINIC_LOOKUP), ordered by primary key (a stable key for paging and
resuming), and selects or prefetches what `to_fhir` reads, so a page costs a
fixed number of queries; `rows(...).iterator(chunk_size=n)` streams. Each row
carries `fhir_last_updated` (annotated), read by `last_updated(row)` and
filtered by `since`.

Built-in protocols and exercise templates (no clinic) are every clinic's to
read, as in the rest of Backstep, so they are listed with each clinic's own.

Outcome questionnaires (fhir/mappings/questionnaires.py): a Questionnaire
source per instrument (fixed id `<instrument>-<version>`; a built-in's row is
the clinic, a licensed one's the clinic's active import of its wording), the
submitted QuestionnaireResponses, and an Observation source per instrument
scale (each stored score is one resource). The API, CapabilityStatement,
$everything and exports pick them up from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import DateTimeField, F, Model, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from clinic.models import Clinic, Membership, User
from clinic.tenancy import patient_lookup
from fhir.mappings.common import BACKSTEP_CODES, instant
from fhir.mappings.flags import flag_resource
from fhir.mappings.observations import (
    MEASUREMENT_VALUES,
    MeasurementValue,
    checkin_observation,
    measurement_observation,
    session_observation,
)
from fhir.mappings.organization import organization_resource
from fhir.mappings.patient import patient_resource
from fhir.mappings.plans import activity_definition_resource, care_plan_resource, plan_definition_resource
from fhir.mappings.practitioner import practitioner_resource
from fhir.mappings.questionnaires import (
    questionnaire_id,
    questionnaire_resource,
    questionnaire_response_resource,
    score_codes,
    score_observation,
)
from outcomes import instruments
from outcomes.instruments import Instrument, Scale
from outcomes.models import ImportedQuestionnaire, QuestionnaireResponse
from outcomes.selectors import built_in_wording, imported_wording
from patients.models import (
    AssignedExercise,
    Assignment,
    Flag,
    Measurement,
    MorningCheckIn,
    Patient,
    PhaseVersion,
    SessionLog,
    StepVersion,
)
from protocols.models import ExerciseTemplate, PrescribedExercise, Protocol


@dataclass(frozen=True)
class Period:
    """Where a row sits in time for the `date` search: a date field, or a period from `start` to `end`
    (`end` empty = still going). `datetime` says the fields are times (compared by their UTC date)."""

    start: str
    end: str | None = None
    datetime: bool = False


@dataclass(frozen=True)
class ResourceType:
    """One source of FHIR resources: a model's rows in a clinic, and the resource each row becomes."""

    key: str
    name: str  # the FHIR resource type
    model: type[Model]
    base: Callable[[], QuerySet]  # the model's rows with what `mapping` reads selected or prefetched
    mapping: Callable[[Model], dict]
    updated: Callable[[], object]  # the expression annotated as `fhir_last_updated`
    # A model without TENANT_CLINIC_LOOKUP (the clinic itself, users) says which rows are the clinic's.
    of_clinic: Callable[[Clinic], Q] | None = None
    # A source whose rows are not about one patient says which of them a set of patients' data refers to.
    for_patients: Callable[[Clinic, list[int]], Q] | None = None
    id_prefix: str = ""  # "session-": the FHIR id is the prefix, the pk, then the suffix
    id_suffix: str = ""
    period: Period | None = None
    # (system, code) this source emits, for the `code` search; a system without "://" is a path under canonical().
    codes: tuple[tuple[str, str], ...] = field(default=())
    identifier_field: str | None = None  # the field behind `identifier` (the clinic's own reference)
    # A source of at most one row per clinic (an instrument's Questionnaire) has one id, whatever the row's pk.
    fixed_id: str = ""
    instrument: str = ""  # a questionnaire source: the instrument its rows are about (skipped when none answered)

    def rows(self, clinic: Clinic, *, patient_ids: Iterable[int] | None = None,
             since: dt.datetime | None = None) -> QuerySet:
        """The clinic's rows (narrowed to what is about `patient_ids`, changed after `since`), by pk."""
        scope = self.of_clinic(clinic) if self.of_clinic else _clinic_condition(self.model, clinic)
        rows = self.base().filter(scope).annotate(fhir_last_updated=self.updated())
        if patient_ids is not None:
            ids = list(patient_ids)
            rows = rows.filter(self.for_patients(clinic, ids) if self.for_patients
                               else Q(**{f"{patient_lookup(self.model)}__in": ids}))
        if since is not None:
            rows = rows.filter(fhir_last_updated__gt=since)
        return rows.order_by("pk")

    def to_fhir(self, row) -> dict:
        """The row as one FHIR resource (JSON-ready dict), with meta.lastUpdated."""
        resource = self.mapping(row)
        return {"resourceType": resource.pop("resourceType"), "id": resource.pop("id"),
                "meta": {"lastUpdated": instant(self.last_updated(row))}, **resource}

    def last_updated(self, row) -> dt.datetime:
        return row.fhir_last_updated

    def fhir_id(self, pk: int) -> str:
        return self.fixed_id or f"{self.id_prefix}{pk}{self.id_suffix}"

    def where_id(self, fhir_ids: Iterable[str]) -> Q | None:
        """The condition on this source's rows for the resources with these ids; None when none is of this source."""
        if self.fixed_id:
            return Q() if self.fixed_id in fhir_ids else None
        pks = [pk for pk in map(self.pk_of, fhir_ids) if pk is not None]
        return Q(pk__in=pks) if pks else None

    def pk_of(self, fhir_id: str) -> int | None:
        """The primary key of this source's row with the FHIR id `fhir_id`; None when the id is not of this source."""
        if self.fixed_id or not (fhir_id.startswith(self.id_prefix) and fhir_id.endswith(self.id_suffix)):
            return None
        digits = fhir_id[len(self.id_prefix):len(fhir_id) - len(self.id_suffix)]
        return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 18 else None


def _clinic_condition(model: type[Model], clinic: Clinic) -> Q:
    """The model's rows of `clinic`, by the lookup it declares for tenancy, with built-in rows where shared."""
    lookup = model.TENANT_CLINIC_LOOKUP
    condition = Q(**{lookup: clinic})
    if getattr(model, "TENANT_SHARED_WHEN_NO_CLINIC", False):
        condition |= Q(**{f"{lookup}__isnull": True})
    return condition


def _newest(queryset: QuerySet, field_name: str = "created_at") -> Subquery:
    return Subquery(queryset.order_by(f"-{field_name}").values(field_name)[:1], output_field=DateTimeField())


def _care_plan_updated():
    """A plan changes when its row does (made, ended) and whenever a level or phase changes (the step and
    phase versions)."""
    steps = StepVersion.objects.filter(exercise__assignment=OuterRef("pk"))
    phases = PhaseVersion.objects.filter(assignment=OuterRef("pk"))
    return Greatest(F("updated_at"), Coalesce(_newest(steps), F("updated_at")),
                    Coalesce(_newest(phases), F("updated_at")))


def _practitioners(clinic: Clinic) -> Q:
    """The clinic's staff, and any therapist still named on one of its patients (so every reference resolves)."""
    return (Q(pk__in=Membership.objects.filter(clinic=clinic).values("user_id"))
            | Q(pk__in=Patient.objects.filter(clinic=clinic, therapist__isnull=False).values("therapist_id")))


def _practitioner_rows() -> QuerySet:
    return User.objects.all()


def _exercise_prefetch() -> Prefetch:
    return Prefetch("exercises", queryset=AssignedExercise.objects.order_by("phase__order", "order")
                    .prefetch_related("ladder_steps"))


def _protocol_rows() -> QuerySet:
    prescribed = PrescribedExercise.objects.select_related("template").prefetch_related("ladder_steps")
    return Protocol.objects.prefetch_related("phases", Prefetch("phases__exercises", queryset=prescribed))


def _measurement_source(value: MeasurementValue) -> ResourceType:
    recorded = Q(running_signoff=True) if value.field == "running_signoff" else (
        ~Q(effusion="") if value.field == "effusion" else Q(**{f"{value.field}__isnull": False}))
    return ResourceType(
        key=f"Observation.measurement.{value.code}", name="Observation", model=Measurement,
        base=lambda: Measurement.objects.filter(recorded),
        mapping=lambda row: measurement_observation(row, value), updated=lambda: F("updated_at"),
        id_prefix="measurement-", id_suffix=f"-{value.code}", period=Period("date"),
        codes=((BACKSTEP_CODES, value.code),),
    )


def _answered(clinic: Clinic, ids: list[int], instrument: Instrument) -> QuerySet:
    """The clinic ids of the patients' submitted responses to `instrument` (their Questionnaire is referred to)."""
    return QuestionnaireResponse.objects.filter(
        patient__clinic=clinic, patient__in=ids, instrument_id=instrument.id,
        status=QuestionnaireResponse.Status.SUBMITTED).values("patient__clinic_id")


def _imported_codes(imported: ImportedQuestionnaire) -> list[dict]:
    """The panel codes the clinic's imported Questionnaire carried (system and code text only)."""
    codes = imported.fhir.get("code") if isinstance(imported.fhir, dict) else None
    return [{"system": code["system"], "code": code["code"]} for code in codes or []
            if isinstance(code, dict) and isinstance(code.get("system"), str) and isinstance(code.get("code"), str)]


def _questionnaire_source(instrument: Instrument) -> ResourceType:
    """A built-in: one per clinic (the clinic's row) in Backstep's wording. A licensed instrument: the clinic's
    active import of its wording, so a clinic that imported none has no such Questionnaire."""
    common = {"key": f"Questionnaire.{instrument.id}", "name": "Questionnaire", "instrument": instrument.id,
              "fixed_id": questionnaire_id(instrument.id, instrument.version), "updated": lambda: F("created_at")}
    if instrument.licensed:
        return ResourceType(
            model=ImportedQuestionnaire, **common,
            base=lambda: ImportedQuestionnaire.objects.filter(instrument_id=instrument.id, replaced_at__isnull=True)
            .select_related("clinic"),
            mapping=lambda row: questionnaire_resource(instrument, imported_wording(row), clinic_slug=row.clinic.slug,
                                                       codes=_imported_codes(row)),
            for_patients=lambda clinic, ids: Q(clinic_id__in=_answered(clinic, ids, instrument)))
    wording = built_in_wording(instrument)
    return ResourceType(
        model=Clinic, **common, base=lambda: Clinic.objects.all(),
        mapping=lambda row: questionnaire_resource(instrument, wording, clinic_slug=row.slug),
        of_clinic=lambda clinic: Q(pk=clinic.pk),
        for_patients=lambda clinic, ids: Q(pk=clinic.pk, pk__in=_answered(clinic, ids, instrument)))


def _submitted() -> QuerySet:
    return QuestionnaireResponse.objects.filter(status=QuestionnaireResponse.Status.SUBMITTED,
                                                instrument_id__in=[i.id for i in instruments.all_instruments()])


def _response_resource(row: QuestionnaireResponse) -> dict:
    instrument = instruments.get(row.instrument_id)
    return questionnaire_response_resource(row, instrument, None if instrument.licensed
                                           else built_in_wording(instrument))


def _score_source(instrument: Instrument, scale: Scale) -> ResourceType:
    return ResourceType(
        key=f"Observation.score.{instrument.id}.{scale.id}", name="Observation", model=QuestionnaireResponse,
        base=lambda: _submitted().filter(instrument_id=instrument.id),
        mapping=lambda row: score_observation(row, instrument, scale), updated=lambda: F("updated_at"),
        id_prefix="score-", id_suffix=f"-{instrument.id}-{scale.id}", period=Period("submitted_at", datetime=True),
        codes=score_codes(instrument, scale), instrument=instrument.id,
    )


_SOURCES: tuple[ResourceType, ...] = (
    ResourceType(
        key="Organization", name="Organization", model=Clinic,
        base=lambda: Clinic.objects.select_related("settings"), mapping=organization_resource,
        updated=lambda: Greatest(F("created_at"), Coalesce(F("settings__updated_at"), F("created_at"))),
        of_clinic=lambda clinic: Q(pk=clinic.pk),
        for_patients=lambda clinic, ids: Q(pk=clinic.pk),
    ),
    ResourceType(
        key="Practitioner", name="Practitioner", model=User, base=_practitioner_rows, mapping=practitioner_resource,
        updated=lambda: F("date_joined"), of_clinic=_practitioners,
        for_patients=lambda clinic, ids: Q(pk__in=Patient.objects.filter(clinic=clinic, pk__in=ids)
                                           .values("therapist_id")),
    ),
    ResourceType(
        key="Patient", name="Patient", model=Patient, base=lambda: Patient.objects.select_related("clinic"),
        mapping=patient_resource, updated=lambda: F("updated_at"), identifier_field="external_ref",
    ),
    ResourceType(
        key="PlanDefinition", name="PlanDefinition", model=Protocol, base=_protocol_rows,
        mapping=plan_definition_resource, updated=lambda: F("updated_at"),
        for_patients=lambda clinic, ids: Q(pk__in=Assignment.objects.filter(patient__clinic=clinic, patient__in=ids)
                                           .values("protocol_id")),
    ),
    ResourceType(
        key="ActivityDefinition", name="ActivityDefinition", model=ExerciseTemplate,
        base=lambda: ExerciseTemplate.objects.all(), mapping=activity_definition_resource,
        updated=lambda: F("updated_at"),
        for_patients=lambda clinic, ids: Q(pk__in=AssignedExercise.objects.filter(
            assignment__patient__clinic=clinic, assignment__patient__in=ids).values("template_id")),
    ),
    ResourceType(
        key="CarePlan", name="CarePlan", model=Assignment,
        base=lambda: Assignment.objects.prefetch_related(_exercise_prefetch()), mapping=care_plan_resource,
        updated=_care_plan_updated, period=Period("start_date", "end_date"),
    ),
    ResourceType(
        key="Observation.session", name="Observation", model=SessionLog,
        base=lambda: SessionLog.objects.select_related("exercise"), mapping=session_observation,
        updated=lambda: F("updated_at"), id_prefix="session-", period=Period("date"),
        codes=(("http://loinc.org", "55411-3"),),
    ),
    ResourceType(
        key="Observation.checkin", name="Observation", model=MorningCheckIn,
        base=lambda: MorningCheckIn.objects.all(), mapping=checkin_observation, updated=lambda: F("updated_at"),
        id_prefix="checkin-", period=Period("date"), codes=(("http://loinc.org", "72514-3"),),
    ),
    *(_measurement_source(value) for value in MEASUREMENT_VALUES),
    *(_score_source(instrument, scale) for instrument in instruments.all_instruments() for scale in instrument.scales),
    ResourceType(
        key="Flag", name="Flag", model=Flag, base=lambda: Flag.objects.all(), mapping=flag_resource,
        updated=lambda: F("updated_at"), period=Period("created_at", "resolved_at", datetime=True),
    ),
    *(_questionnaire_source(instrument) for instrument in instruments.all_instruments()),
    ResourceType(
        key="QuestionnaireResponse", name="QuestionnaireResponse", model=QuestionnaireResponse,
        base=lambda: _submitted().select_related("patient__clinic"), mapping=_response_resource,
        updated=lambda: F("updated_at"), period=Period("submitted_at", datetime=True),
    ),
)

RESOURCE_TYPES: dict[str, ResourceType] = {source.key: source for source in _SOURCES}
FHIR_TYPES: dict[str, tuple[ResourceType, ...]] = {
    name: tuple(source for source in _SOURCES if source.name == name)
    for name in dict.fromkeys(source.name for source in _SOURCES)
}


def patient_compartment(clinic: Clinic, patient: Patient, *, chunk_size: int = 500) -> Iterator[dict]:
    """Every resource about one patient, the Patient first: their plans, observations and flags, and the
    clinic, therapist and definitions those refer to. Streamed source by source (bounded memory)."""
    if patient.clinic_id != clinic.pk:
        return
    answered = set(_submitted().filter(patient=patient).values_list("instrument_id", flat=True))
    ordered = (RESOURCE_TYPES["Patient"], *(s for s in _SOURCES if s.key != "Patient"))
    for source in ordered:
        if source.instrument and source.instrument not in answered:
            continue  # a questionnaire the patient never submitted: nothing to read (one query saved per scale)
        for row in source.rows(clinic, patient_ids=[patient.pk]).iterator(chunk_size=chunk_size):
            yield source.to_fhir(row)
