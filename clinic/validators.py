"""One line of text: the rule for fields that end up in e-mail headers or file names, and the fallback.

Names, patient references, clinic and API key names are put into e-mail
subjects and other single-line places. A line break there makes Django refuse
the whole e-mail (BadHeaderError), so these fields refuse control characters
when they are saved (`validate_single_line`, declared on the model fields so
forms, the API and services all apply it). Rows saved before the rule existed
may still hold one: whatever builds a header passes its text through
`single_line`, so such a row can never make a send fail.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 and C1 control characters (CR, LF, tab, NUL, NEL, ...) and Unicode's line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SINGLE_LINE_MESSAGE = _("Use one line: line breaks, tabs and other control characters are not allowed here.")


def validate_single_line(value: str) -> None:
    """Refuse text holding a line break or another control character."""
    if value and CONTROL_CHARACTERS.search(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="single_line")


def single_line(text: str) -> str:
    """`text` on one line: each run of control characters and spaces around them becomes one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())
