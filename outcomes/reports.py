"""Selectors: questionnaire scores over time for one patient, and the clinic's mean change per instrument.

Every score shown is the one stored at submission (instrument version
included); nothing here scores again. The change is the latest primary score
minus the first, judged by `outcomes.scoring.important_change` with the clinic's own thresholds
(`outcomes.selectors.threshold_overrides`, read once per call and only when there is something to judge).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from clinic.builtin_text import builtin_text
from outcomes import instruments, scoring, selectors
from outcomes.models import QuestionnaireResponse
from patients.models import Patient


@dataclass
class Series:
    """One instrument's submitted responses of a patient, oldest first."""

    instrument: object
    responses: list = field(default_factory=list)

    @property
    def first(self):
        return self.responses[0]

    @property
    def latest(self):
        return self.responses[-1]

    @property
    def change(self) -> Decimal | None:
        if len(self.responses) < 2 or self.first.primary_score is None or self.latest.primary_score is None:
            return None
        return self.latest.primary_score - self.first.primary_score

    @property
    def judged(self) -> str | None:
        """"improved", "worse" or None by the instrument's threshold (GROC: the latest rating itself)."""
        if self.latest.primary_score is None:
            return None
        first = self.first.primary_score if len(self.responses) > 1 else None
        return scoring.important_change(self.instrument, self.instrument.primary_scale_id, first,
                                        self.latest.primary_score)

    @property
    def threshold(self):
        scale = self.instrument.primary
        return scale.important_change

    def chart(self) -> dict:
        return {"id": self.instrument.id, "title": builtin_text(self.instrument.title),
                "minimum": str(self.instrument.primary.minimum), "maximum": str(self.instrument.primary.maximum),
                "dates": [r.answered_on.isoformat() for r in self.responses],
                "values": [None if r.primary_score is None else str(r.primary_score) for r in self.responses]}


def _known(instrument_id: str):
    try:
        return instruments.get(instrument_id)
    except instruments.UnknownInstrument:
        return None


def patient_outcomes(*, patient: Patient) -> list[Series]:
    """Each instrument the patient answered, with its submitted responses oldest first, judged by the clinic's
    thresholds (one query, and one more for the thresholds when the patient answered any)."""
    by_instrument: dict[str, Series] = {}
    for response in (QuestionnaireResponse.objects.filter(patient=patient,
                                                          status=QuestionnaireResponse.Status.SUBMITTED)
                     .order_by("due_date", "id")):
        instrument = _known(response.instrument_id)
        if instrument is None:
            continue
        by_instrument.setdefault(response.instrument_id, Series(instrument)).responses.append(response)
    if by_instrument:
        overrides = selectors.threshold_overrides(patient.clinic_id)
        for series in by_instrument.values():
            series.instrument = selectors.with_overrides(series.instrument, overrides)
    return list(by_instrument.values())


@dataclass(frozen=True)
class ClinicRow:
    instrument: object
    protocol_name: str
    baseline: int  # patients with a first score
    followed_up: int  # of them, with a later score in the period
    mean_change: Decimal | None
    improved: int
    worse: int


def clinic_outcomes(*, clinic, start: dt.date, end: dt.date) -> list[ClinicRow]:
    """Mean change of the primary score per instrument and protocol: the first score against the latest one
    answered from `start` to `end`, over the patients who have both, judged by the clinic's thresholds (one
    query, and one more for the thresholds when there are responses)."""
    responses = defaultdict(list)
    rows = (QuestionnaireResponse.objects.filter(patient__clinic=clinic, status=QuestionnaireResponse.Status.SUBMITTED,
                                                 answered_on__lte=end, primary_score__isnull=False)
            .order_by("due_date", "id")
            .values_list("patient_id", "instrument_id", "assignment__protocol_name", "answered_on", "primary_score"))
    for patient_id, instrument_id, protocol_name, answered_on, score in rows:
        responses[(instrument_id, protocol_name or "", patient_id)].append((answered_on, score))
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for (instrument_id, protocol_name, _patient), scores in responses.items():
        groups[(instrument_id, protocol_name)].append(scores)
    found = []
    overrides = selectors.threshold_overrides(clinic.pk) if groups else {}
    for (instrument_id, protocol_name), patients in sorted(groups.items()):
        instrument = _known(instrument_id)
        if instrument is not None:
            found.append(_clinic_row(selectors.with_overrides(instrument, overrides), protocol_name, patients,
                                     start))
    return found


def _clinic_row(instrument, protocol_name: str, patients: list, start: dt.date) -> ClinicRow:
    changes, improved, worse = [], 0, 0
    for scores in patients:
        later = [(day, score) for day, score in scores[1:] if day >= start]
        if not later:
            continue
        first, latest = scores[0][1], later[-1][1]
        changes.append(latest - first)
        judged = scoring.important_change(instrument, instrument.primary_scale_id, first, latest)
        improved += judged == "improved"
        worse += judged == "worse"
    mean = (sum(changes) / len(changes)).quantize(Decimal("0.1")) if changes else None
    return ClinicRow(instrument=instrument, protocol_name=protocol_name, baseline=len(patients),
                     followed_up=len(changes), mean_change=mean, improved=improved, worse=worse)
