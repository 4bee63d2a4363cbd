"""The clinic admin's questionnaire import form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.builtin_text import builtin_text
from clinic.numbers import local_decimal_form
from outcomes import instruments
from outcomes.fhir_questionnaire import MAX_BYTES

AUTOMATIC = ""


def instrument_choices() -> list[tuple[str, str]]:
    """The licensed instruments, named in the reader's language (a callable: read when the form is shown)."""
    return [(AUTOMATIC, _("Recognise it from the file (LOINC code or item links)"))] + [
        (instrument.id, builtin_text(instrument.title)) for instrument in instruments.licensed_instruments()]


class QuestionnaireImportForm(forms.Form):
    file = forms.FileField(
        label=_("FHIR R4 Questionnaire (JSON)"), required=False,
        help_text=_("The Questionnaire your licence provides, e.g. the form LOINC publishes for the panel. "
                    "At most 512 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json,application/fhir+json"}),
        error_messages={"empty": _("The file is empty.")},
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
    # The confirm step: the file read at the first upload, sent back so the admin need not choose it again.
    pending = forms.CharField(required=False, strip=False, max_length=MAX_BYTES, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not cleaned.get("pending") and "file" not in self.errors:
            self.add_error("file", _("Choose the Questionnaire's JSON file to import."))
        return cleaned


@local_decimal_form
class ThresholdForm(forms.Form):
    """Set (or reset to the default) the clinic's important change for one scale: one small form per scale."""

    SET, RESET = "set", "reset"

    instrument = forms.ChoiceField(choices=())
    scale = forms.CharField(max_length=40)
    value = forms.DecimalField(label=_("Your clinic's threshold"), required=False, max_digits=5, decimal_places=1)
    action = forms.ChoiceField(choices=((SET, _("Save")), (RESET, _("Use the default"))))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [(i.id, i.title) for i in instruments.all_instruments()]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.SET and cleaned.get("value") is None and "value" not in self.errors:
            self.add_error("value", _("Give the threshold in points, or choose “Use the default”."))
        return cleaned
