"""Reasons as messages: a stable id and JSON-shaped parameters, worded in the reader's language where shown.

The rules decide in no language. Each returns a `Message`: an id from
`MESSAGES` and its parameters, which are whole numbers and numbers (written
with the language's decimal sign), short codes such as an effusion grade,
dates (``{"date": "2026-12-03"}``), ladder levels (``{"level": 4, "of": 9}``,
the 0-based index, as the engine's JSON keeps it), signed changes
(``{"signed": -3.5}``), sentences (``{"sentences": [...]}``, joined by a
space), nested messages
(``{"id": ..., "params": ...}``) and lists of nested messages (joined with
"; "). `render` words a message in the language active when it is called, so
a flag stored by the night's check reads in German for a German therapist the
next morning; `english` words it as the engine's JSON for machines always has
(progression-rules.md: `reasons` and flag `reason` keep their English text).

Importing this module reads no catalogue and asks no database: the templates
are lazy (`gettext_lazy`, `ngettext_lazy` keyed by the count's parameter), so
`makemessages` extracts them and no language is frozen at import or decision
time. A message stored as `Message.as_dict()` renders again with `render_stored`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext_lazy

from protocols.wording import format_date, format_level, format_number

# The English templates, one per id. An id never changes meaning once stored: a new wording with new
# parameters gets a new id (old rows keep rendering with the old one).
MESSAGES = {
    # --- decision rules ---------------------------------------------------------------------------------
    "R0.no_sessions": gettext_lazy("No sessions logged yet: start at %(level)s."),
    "R1.pain_red": gettext_lazy(
        "Pain during the latest session (%(date)s) was %(pain)s/10, above the %(limit)s/10 limit: %(advice)s."),
    "R2.effusion": gettext_lazy(
        "Knee effusion graded %(grade)s on the stroke test of %(date)s: stay at the same level until the "
        "swelling settles."),
    "R3.morning_pain_repeated": gettext_lazy(
        "Next-morning pain was above the starting level of %(baseline)s/10 after each of the last two sessions: "
        "%(advice)s."),
    "R4.morning_pain": gettext_lazy(
        "Next-morning pain after the latest session was %(pain)s/10, above the starting level of "
        "%(baseline)s/10: stay at the same level."),
    "R5.amber_pain": gettext_lazy(
        "Pain during the latest session was %(pain)s/10: acceptable, but stay at the same level until it is lower."),
    "R6.worsening_trend": gettext_lazy(
        "Morning pain averaged %(recent)s/10 over the last 7 days, up from %(earlier)s/10 the week before: stay "
        "at the same level."),
    "R7.not_enough_green": ngettext_lazy(
        "%(streak)s of the %(needed)s comfortable session in a row needed at %(level)s so far (completed, low "
        "pain, next-morning pain settled): stay at the same level.",
        "%(streak)s of the %(needed)s comfortable sessions in a row needed at %(level)s so far (completed, low "
        "pain, next-morning pain settled): stay at the same level.",
        "needed"),
    "R8.ladder_complete": gettext_lazy(
        "The top of the ladder (%(level)s) is reached: time for the therapist to review the plan or move to the "
        "next phase."),
    "R9.running_gate": gettext_lazy(
        "The next level (%(level)s, %(speed)s km/h) is running (from %(threshold)s km/h); not yet met: "
        "%(unmet)s."),
    "R9.running_gate_too": gettext_lazy(
        "The next level (%(level)s, %(speed)s km/h) is running too (from %(threshold)s km/h); not yet met: "
        "%(unmet)s."),
    "R10.needs_override": gettext_lazy("The next level (%(level)s: %(step)s) needs the therapist's approval: %(why)s."),
    "R11.progress": ngettext_lazy(
        "%(count)s comfortable session in a row at %(level)s: ready to move up to %(next_level)s (%(step)s).",
        "%(count)s comfortable sessions in a row at %(level)s: ready to move up to %(next_level)s (%(step)s).",
        "count"),
    # --- flag rules -------------------------------------------------------------------------------------
    "F1.low_adherence": gettext_lazy(
        "Trained on %(trained)s of the last %(window)s days; the plan asks for %(planned)s (%(percent)s %%)."),
    "F1.low_adherence_none_planned": gettext_lazy(
        "Trained on %(trained)s of the last %(window)s days; the plan asks for %(planned)s."),
    "F2.improved": gettext_lazy(
        "Morning pain averaged %(recent)s/10 over the last 7 days, down from %(baseline)s/10 at the start."),
    # --- parts of sentences -----------------------------------------------------------------------------
    "advice.stay_easiest": gettext_lazy("stay at %(level)s, the easiest"),
    "advice.step_down": gettext_lazy("step down to %(level)s next time"),
    "step.load": gettext_lazy("%(speed)s km/h, %(incline)s %% incline, %(duration)s min"),
    "override.steep": gettext_lazy("its incline of %(incline)s %% is above %(limit)s %%"),
    "override.changes": ngettext_lazy("it changes %(changed)s thing at once", "it changes %(changed)s things at once",
                                      "changed"),
    "override.steep_and_changes": ngettext_lazy(
        "its incline of %(incline)s %% is above %(limit)s %% and it changes %(changed)s thing at once",
        "its incline of %(incline)s %% is above %(limit)s %% and it changes %(changed)s things at once",
        "changed"),
    "gate.signoff": gettext_lazy("therapist sign-off for running"),
    "gate.weeks_since_surgery": ngettext_lazy(
        "at least %(weeks)s weeks since surgery (now %(days)s day)",
        "at least %(weeks)s weeks since surgery (now %(days)s days)", "days"),
    "gate.quad_lsi": gettext_lazy("quadriceps LSI ≥ %(floor)s %% (now %(value)s %%)"),
    "gate.quad_lsi_unknown": gettext_lazy("quadriceps LSI ≥ %(floor)s %% (not measured)"),
    "gate.hop_lsi": gettext_lazy("hop LSI ≥ %(floor)s %% (now %(value)s %%)"),
    "gate.hop_lsi_unknown": gettext_lazy("hop LSI ≥ %(floor)s %% (not measured)"),
    "gate.rom": gettext_lazy("range of motion ≥ %(floor)s %% (now %(value)s %%)"),
    "gate.rom_unknown": gettext_lazy("range of motion ≥ %(floor)s %% (not measured)"),
    "gate.effusion": gettext_lazy("effusion trace or less (now %(grade)s)"),
    "gate.effusion_unknown": gettext_lazy("effusion trace or less (not measured)"),
    "gate.pain": gettext_lazy("pain during below %(limit)s/10 (latest %(pain)s/10)"),
}

UNMET_SEPARATOR = "; "


@dataclass(frozen=True)
class Message:
    """One reason: what the rules concluded, in no language until it is rendered."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self):
        if self.id not in MESSAGES:
            raise KeyError(f"unknown engine message id {self.id!r}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-shaped, to store next to the English text: {"id": ..., "params": {...}}."""
        return {"id": self.id, "params": _json(dict(self.params))}

    def render(self) -> str:
        """The message in the active language (call it where the text is shown, never to store it)."""
        return render_dict(self.as_dict())

    def english(self) -> str:
        """The message as the engine's JSON for machines words it, whatever language is active."""
        with translation.override("en"):
            return self.render()

    def __str__(self) -> str:
        return self.render()


# Parameter values ------------------------------------------------------------------------------------------


def date(day: dt.date) -> dict[str, str]:
    return {"date": day.isoformat()}


def level(index: int, count: int) -> dict[str, int]:
    return {"level": index, "of": count}


def _json(value: Any) -> Any:
    """Parameters as JSON keeps them: messages to dicts, exact fractions and decimals to numbers."""
    if isinstance(value, Message):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    number = float(value)  # Fraction, Decimal: the same digits format_number writes
    return int(number) if number == int(number) else number


def _shown(value: Any, catalog: Mapping[str, Any]) -> Any:
    """One stored parameter as it reads in the active language."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value  # counts stay ints so ngettext can choose the plural form
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, Mapping):
        if "id" in value:
            return render_dict(value, catalog)
        if "date" in value:
            return format_date(dt.date.fromisoformat(value["date"]))
        if "level" in value:
            return format_level(value["level"], value.get("of"))
        if "signed" in value:  # a change: "+12" or "-3,5"
            return ("+" if value["signed"] > 0 else "") + format_number(value["signed"])
        if "sentences" in value:
            return " ".join(str(_shown(item, catalog)) for item in value["sentences"])
    if isinstance(value, list):
        return UNMET_SEPARATOR.join(str(_shown(item, catalog)) for item in value)
    return value


def render_dict(message: Mapping[str, Any], catalog: Mapping[str, Any] = MESSAGES) -> str:
    """A stored message ({"id", "params"}) in the active language; `catalog` holds its template by id.

    The engine's `MESSAGES` by default; an app that stores notes of its own
    beside the engine's reasons (patients' flags) passes a catalog with both.
    """
    params = {key: _shown(value, catalog) for key, value in (message.get("params") or {}).items()}
    return str(catalog[message["id"]] % params)


def render_stored(texts: Sequence[str], messages: Sequence[Mapping[str, Any] | None] | None,
                  catalog: Mapping[str, Any] = MESSAGES) -> list[str]:
    """Stored reasons as they read now: each rendered from its message, or the stored text when it has none.

    `messages` runs parallel to `texts` (rows written before messages were
    stored have none, a note typed by a person has None); an id this version
    does not know falls back to the stored text too.
    """
    messages = list(messages or [])
    shown = []
    for index, text in enumerate(texts or []):
        message = messages[index] if index < len(messages) else None
        if message and message.get("id") in catalog:
            try:
                shown.append(render_dict(message, catalog))
                continue
            except (KeyError, TypeError, ValueError):
                pass  # a message stored with other parameters than this version's template: the stored text
        shown.append(text)
    return shown
