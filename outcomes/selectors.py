"""Reads for outcome questionnaires: which instruments a clinic can use and their wording.

A built-in instrument's wording is Backstep's own (in `outcomes.instruments.builtin`). A licensed
instrument's wording is the clinic's active import (`ImportedQuestionnaire`); without one the
clinic has no wording for it, so it cannot be scheduled or answered there. Every read is scoped
to the clinic passed in: one clinic never reads another's import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import QuerySet

from outcomes import instruments
from outcomes.instruments import Instrument
from outcomes.models import ImportedQuestionnaire


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
