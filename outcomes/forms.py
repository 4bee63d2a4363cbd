"""Forms of the outcomes pages: a questionnaire on a patient's plan, the clinic page's period."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.builtin_text import builtin_text
from outcomes.selectors import available_instruments

PERIOD_DAYS_DEFAULT = 90
PERIOD_DAYS_MAX = 3 * 366


class PlanQuestionnaireForm(forms.Form):
    """Add a questionnaire to a running plan (or change when one already on it is due)."""

    instrument_id = forms.ChoiceField(label=_("Questionnaire"))
    at_start = forms.BooleanField(label=_("At the start"), required=False, initial=True)
    every_weeks = forms.IntegerField(label=_("Every N weeks"), required=False, min_value=1, max_value=52)
    at_phase_change = forms.BooleanField(label=_("At each phase change"), required=False)
    at_end = forms.BooleanField(label=_("At the end"), required=False)

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument_id"].choices = [(i.id, builtin_text(i.title)) for i in available_instruments(clinic)]


class ProtocolQuestionnaireRemoveForm(forms.Form):
    """Remove one of the protocol's questionnaires."""

    instrument_id = forms.ChoiceField(label=_("Questionnaire"))

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument_id"].choices = [(row.instrument_id, row.instrument_id) for row in rows]


class SkipForm(forms.Form):
    skipped = forms.TypedChoiceField(choices=[("yes", _("Skip")), ("no", _("Ask again"))],
                                     coerce=lambda value: value == "yes")


class PeriodForm(forms.Form):
    """The clinic page's period: follow-up scores answered from `start` to `end` (default the last 90 days)."""

    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period's start is after its end."))
        if start and end and (end - start).days > PERIOD_DAYS_MAX:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        return data

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=PERIOD_DAYS_DEFAULT)
        return start, end
