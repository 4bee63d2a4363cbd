"""Backstep's own words among the clinic's: the one rule for showing them in the reader's language.

Backstep writes some texts itself: the built-in exercise library and protocols
(`protocols.library`), the patient education defaults (`exercise_media.education`)
and the built-in questionnaires (`outcomes.instruments.builtin`). They are stored
and exported in English, exactly as written there, so the library installer,
the scores and the FHIR exports stay stable. Clinics copy them (a clone, a
patient's plan snapshot) and may edit the copies.

The rule: a text is shown in the reader's language when it is, character for
character, one of Backstep's own texts (its English is the message id in
locale/); any other text (a clinic's own, or one it edited, even by a letter) is
shown exactly as the clinic wrote it. So a built-in row, a clinic's unedited
clone and a patient's unedited plan read in the patient's language, and nothing
a clinic wrote is ever replaced.

Each app registers its source texts once, from its AppConfig.ready
(`register`); pages use the `builtin` template filter
(clinic/templatetags/builtin_text.py, a template built-in) and code uses
`builtin_text`. Source texts are marked with gettext_noop where they are
defined, so `makemessages` extracts them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext

_SOURCES: set[str] = set()


def register(texts: Iterable[str | None]) -> None:
    """Add Backstep's own texts (English, as stored) to those shown translated; empty ones are ignored."""
    _SOURCES.update(text for text in texts if text)


def is_builtin_text(value) -> bool:
    """True when `value` is exactly one of Backstep's own texts."""
    return isinstance(value, str) and value in _SOURCES


def builtin_text(value):
    """`value` in the active language when it is one of Backstep's own texts; anything else unchanged."""
    if is_builtin_text(value):
        return gettext(value)
    return value


def builtin_texts_containing(search: str) -> set[str]:
    """Backstep's own texts (as stored) whose wording in the active language contains `search`, ignoring case:
    a search in the reader's language finds the built-in rows it reads."""
    wanted = search.casefold()
    return {text for text in _SOURCES if wanted in gettext(text).casefold()} if wanted else set()
