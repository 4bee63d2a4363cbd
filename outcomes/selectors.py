"""Reads for outcome questionnaires: which instruments a clinic can use and their wording.

A built-in instrument's wording is Backstep's own (in `outcomes.instruments.builtin`). A licensed
instrument's wording is the clinic's active import (`ImportedQuestionnaire`); without one the
clinic has no wording for it, so it cannot be scheduled or answered there. Every read is scoped
to the clinic passed in: one clinic never reads another's import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from outcomes import instruments
from outcomes.instruments import Instrument
from outcomes.instruments.base import CHANGE_RATING, NO_THRESHOLD, default_threshold
from outcomes.models import ClinicThreshold, ImportedQuestionnaire


@dataclass(frozen=True)
class ItemWording:
    """One item's question and answer labels (by answer value); anchors for a numeric item."""

    text: str
    options: Mapping[int, str] = field(default_factory=dict)
    minimum_label: str = ""
    maximum_label: str = ""


@dataclass(frozen=True)
class Wording:
    """What the patient reads for one instrument, by item id.

    `is_test_wording`: written for tests or the demo, not the licensed text; pages say so.
    `imported_id`: the ImportedQuestionnaire it came from (None for a built-in).
    """

    instrument_id: str
    version: str
    title: str
    items: Mapping[str, ItemWording]
    is_test_wording: bool = False
    imported_id: int | None = None

    def text(self, item_id: str) -> str:
        return self.items[item_id].text

    def label(self, item_id: str, value: int) -> str | None:
        return self.items[item_id].options.get(value)


def built_in_wording(instrument: Instrument) -> Wording:
    """Backstep's own wording of a built-in instrument."""
    return Wording(
        instrument_id=instrument.id, version=instrument.version, title=instrument.title,
        items={item.id: ItemWording(text=item.text or "",
                                    options={o.value: o.label for o in item.options if o.label},
                                    minimum_label=item.minimum_label or "", maximum_label=item.maximum_label or "")
               for item in instrument.items})


def imported_wording(imported: ImportedQuestionnaire) -> Wording:
    """The wording stored with a clinic's import (JSON keys are strings; answer values become ints)."""
    return Wording(
        instrument_id=imported.instrument_id, version=imported.instrument_version, title=imported.title,
        items={item_id: ItemWording(text=entry.get("text", ""),
                                    options={int(value): label for value, label in entry.get("options", {}).items()})
               for item_id, entry in imported.wording.items()},
        is_test_wording=imported.is_test_wording, imported_id=imported.pk)


def active_imports(clinic) -> QuerySet[ImportedQuestionnaire]:
    """The clinic's active imports (one per instrument), newest wording only."""
    return ImportedQuestionnaire.objects.filter(clinic=clinic, replaced_at__isnull=True).order_by("instrument_id")


def import_history(clinic) -> QuerySet[ImportedQuestionnaire]:
    """Every import the clinic made, active and replaced, newest first."""
    return (ImportedQuestionnaire.objects.filter(clinic=clinic).select_related("uploaded_by")
            .defer("fhir").order_by("-created_at", "-pk"))


def instrument_wording(clinic, instrument: Instrument) -> Wording | None:
    """The wording this clinic shows for `instrument`; None when a licensed one has not been imported."""
    if not instrument.licensed:
        return built_in_wording(instrument)
    imported = active_imports(clinic).filter(instrument_id=instrument.id).first()
    return imported_wording(imported) if imported else None


def clinic_wordings(clinic) -> dict[str, Wording]:
    """Every instrument's wording the clinic has, by instrument id, in one query."""
    wordings = {instrument.id: built_in_wording(instrument) for instrument in instruments.built_in_instruments()}
    for imported in active_imports(clinic):
        wordings[imported.instrument_id] = imported_wording(imported)
    return wordings


def available_instruments(clinic) -> tuple[Instrument, ...]:
    """The instruments this clinic can schedule: the built-ins and the licensed ones it imported."""
    imported = set(active_imports(clinic).values_list("instrument_id", flat=True))
    return tuple(instrument for instrument in instruments.all_instruments()
                 if not instrument.licensed or instrument.id in imported)


# --- The clinic's own thresholds (outcomes.md: unverified thresholds are defaults the clinic may change) ---------

Overrides = Mapping[str, Mapping[str, Decimal]]  # instrument id -> scale id -> the clinic's important change


def threshold_overrides(clinic_id) -> Overrides:
    """The clinic's thresholds by instrument and scale, in one query (empty when it kept every default)."""
    found: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for instrument_id, scale_id, value in (ClinicThreshold.objects.filter(clinic_id=clinic_id)
                                           .values_list("instrument_id", "scale_id", "important_change")):
        found[instrument_id][scale_id] = value
    return dict(found)


def with_overrides(instrument: Instrument, overrides: Overrides) -> Instrument:
    """`instrument` with the clinic's thresholds applied (a row for a scale it no longer has is ignored)."""
    own = overrides.get(instrument.id) or {}
    scale_ids = {scale.id for scale in instrument.scales if not scale.threshold_verified}
    changes = {scale_id: value for scale_id, value in own.items() if scale_id in scale_ids}
    return instrument.with_important_change(changes) if changes else instrument


def clinic_instrument(clinic, instrument_id: str) -> Instrument:
    """The instrument as this clinic (a Clinic or its id) judges change: its thresholds over the defaults.

    One query; UnknownInstrument when there is no such instrument.
    """
    instrument = instruments.get(instrument_id)
    clinic_id = getattr(clinic, "pk", clinic)
    own = ClinicThreshold.objects.filter(clinic_id=clinic_id, instrument_id=instrument.id)
    return with_overrides(instrument, {instrument.id: dict(own.values_list("scale_id", "important_change"))})


@dataclass(frozen=True)
class ThresholdRow:
    """One scale on the thresholds page: its default, whether the clinic may change it, the clinic's value."""

    instrument: Instrument
    scale: object
    default: Decimal | None
    editable: bool
    own: Decimal | None

    @property
    def in_use(self) -> Decimal | None:
        return self.default if self.own is None else self.own

    @property
    def judged(self) -> bool:
        return self.scale.change_kind != NO_THRESHOLD

    @property
    def is_rating(self) -> bool:
        """A change-rating scale (GROC): the value is the cut-off either way, not a change from the first score."""
        return self.scale.change_kind == CHANGE_RATING

    @property
    def published_source(self) -> str:
        return self.instrument.source.removeprefix("outcomes.md: ")


def threshold_rows(clinic) -> list[ThresholdRow]:
    """Every instrument's scales with a threshold (or none), the clinic's value beside the default (one query)."""
    overrides = threshold_overrides(clinic.pk)
    return [ThresholdRow(instrument=instrument, scale=scale, default=default_threshold(scale),
                         editable=not scale.threshold_verified and scale.change_kind != NO_THRESHOLD,
                         own=(overrides.get(instrument.id) or {}).get(scale.id))
            for instrument in instruments.all_instruments() for scale in instrument.scales]
