"""The clinic admin's questionnaire import form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from outcomes import instruments

AUTOMATIC = ""


def instrument_choices() -> list[tuple[str, str]]:
    return [(AUTOMATIC, _("Recognise it from the file (LOINC code or item links)"))] + [
        (instrument.id, instrument.title) for instrument in instruments.licensed_instruments()]


class QuestionnaireImportForm(forms.Form):
    file = forms.FileField(
        label=_("FHIR R4 Questionnaire (JSON)"),
        help_text=_("The Questionnaire your licence provides, e.g. the form LOINC publishes for the panel. "
                    "At most 512 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json,application/fhir+json"}),
        error_messages={"required": _("Choose the Questionnaire's JSON file to import."),
                        "empty": _("The file is empty.")},
    )
    instrument = forms.ChoiceField(
        label=_("Instrument"), required=False, choices=instrument_choices,
        help_text=_("Leave it to the file unless Backstep cannot tell: then choose the instrument, and the "
                    "file's questions are matched to its items in order."),
    )
    is_test_wording = forms.BooleanField(
        label=_("This is test wording, not the licensed text"), required=False,
        help_text=_("Patients' and staff pages then say so."),
    )
