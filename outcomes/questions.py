"""Selectors: a questionnaire as the phone asks it — one screen per question, in the clinic's wording.

Built-in instruments carry Backstep's wording, asked in the patient's language
(`clinic.builtin_text`); a licensed one is asked only
with the wording the clinic imported (`outcomes.selectors.instrument_wording`),
never without it. PSFS asks one screen per activity the patient named.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic.builtin_text import builtin_text
from outcomes.psfs import asked_items
from outcomes.selectors import instrument_wording

CHOICE_LIMIT = 11  # up to this many answer values as buttons; more (SANE 0-100) as a slider


@dataclass(frozen=True)
class Screen:
    item_id: str
    text: str
    choices: tuple[tuple[int, str], ...]  # (value, label) as large buttons; empty for a slider
    minimum: int | None
    maximum: int | None
    step: int
    minimum_label: str
    maximum_label: str
    activity: str | None


@dataclass(frozen=True)
class Asked:
    instrument: object
    screens: tuple[Screen, ...]
    is_test_wording: bool


class NoWording(LookupError):
    """A licensed instrument this clinic has imported no wording for: it cannot be asked."""


def _screen(item, wording, activity: str | None, shown) -> Screen:
    worded = wording.items.get(item.id)
    text = (worded.text if worded else "") or item.text or ""
    values = item.values
    if item.options or len(values) <= CHOICE_LIMIT:
        labels = {option.value: option.label for option in item.options}
        choices = tuple((value, shown((worded.options.get(value) if worded else None) or labels.get(value))
                         or str(value)) for value in values)
    else:
        choices = ()
    return Screen(item_id=item.id, text=shown(text), choices=choices, minimum=item.minimum, maximum=item.maximum,
                  step=item.step,
                  minimum_label=shown((worded.minimum_label if worded else "") or item.minimum_label or ""),
                  maximum_label=shown((worded.maximum_label if worded else "") or item.maximum_label or ""),
                  activity=activity)


def _as_imported(text):
    return text


def can_ask(clinic, instrument) -> bool:
    """A built-in always; a licensed instrument only once the clinic imported its wording."""
    return not instrument.licensed or instrument_wording(clinic, instrument) is not None


def questionnaire_screens(*, clinic, instrument, activities: list[str]) -> Asked:
    """The screens to show, in order; NoWording for a licensed instrument without the clinic's wording."""
    wording = instrument_wording(clinic, instrument)
    if wording is None:
        raise NoWording(instrument.id)
    # Backstep's wording of a built-in in the patient's language; a licensed one's exactly as the clinic imported it.
    shown = _as_imported if instrument.licensed else builtin_text
    screens = tuple(_screen(item, wording, activity, shown)
                    for item, activity in asked_items(instrument, activities))
    return Asked(instrument=instrument, screens=screens,
                 is_test_wording=wording.is_test_wording)
