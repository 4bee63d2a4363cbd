"""Flag and step-change reasons as messages, worded in the reader's language where shown.

A flag stores its reasons twice: `reasons`, the English text (the API, the
FHIR export and the audit read it, as they always have), and
`reason_messages`, each reason's message ({"id", "params"}) in the same order,
which pages and the phone render in the active language. The engine's reasons
use its ids (protocols.engine.messages); the notes Backstep adds to a flag
(the patient changed the session, an outcome score moved) use the ids below.
Rows from before messages were stored, and notes a person typed, have no
message: they show their stored text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy

from clinic.builtin_text import builtin_text
from protocols.engine import MESSAGES as ENGINE_MESSAGES
from protocols.engine import render_dict, render_stored

NOTES = {
    "flag.session_corrected": gettext_lazy(
        "The patient corrected the session of %(date)s this flag was raised on (%(when)s, %(time)s UTC); review it "
        "before resolving."),
    "flag.session_deleted": gettext_lazy(
        "The patient deleted the session of %(date)s this flag was raised on (%(when)s, %(time)s UTC); review it "
        "before resolving."),
    "outcome.improved_first": gettext_lazy(
        "%(instrument)s: the patient rated %(latest)s (improved beyond the threshold)."),
    "outcome.worse_first": gettext_lazy(
        "%(instrument)s: the patient rated %(latest)s (worsened beyond the threshold)."),
    "outcome.improved": gettext_lazy(
        "%(instrument)s improved from %(first)s to %(latest)s (%(change)s), beyond the important change."),
    "outcome.worse": gettext_lazy(
        "%(instrument)s worsened from %(first)s to %(latest)s (%(change)s), beyond the important change."),
    "step.approved": gettext_lazy("Approved the suggested progression: %(reasons)s"),
    "step.start": gettext_lazy("Starting step of the assigned protocol."),
}
CATALOG = {**ENGINE_MESSAGES, **NOTES}


def note(message_id: str, **params: Any) -> dict[str, Any]:
    """A note's message to store ({"id", "params"}); parameters as the engine's (numbers, {"date": iso}, ...)."""
    if message_id not in NOTES:
        raise KeyError(f"unknown note id {message_id!r}")
    return {"id": message_id, "params": params}


def shown_reasons(texts: Sequence[str], messages: Sequence[Mapping[str, Any] | None] | None) -> list[str]:
    """Stored reasons in the active language; a reason without a (known) message shows its stored text."""
    return render_stored(texts, [_builtin_params(message) for message in messages or []], CATALOG)


def _builtin_params(message: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A message whose text parameters are Backstep's own words (an outcome note's instrument title) with those
    in the active language; the clinic's and anything else as stored."""
    if not message or not isinstance(message.get("params"), Mapping):
        return message
    params = {key: builtin_text(value) if isinstance(value, str) else value
              for key, value in message["params"].items()}
    return {**message, "params": params}


def shown_reason(text: str, message: Mapping[str, Any] | None) -> str:
    return shown_reasons([text], [message])[0]


def english(message: Mapping[str, Any]) -> str:
    """A message as the stored English text words it."""
    with translation.override("en"):
        return render_dict(message, CATALOG)
