"""Forms of the remote-monitoring pages. They check types and sizes; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.dates import PLAN_DATES, limit_form_date
from monitoring.models import ACTIVITY_MAX_LENGTH, ENTRY_MINUTES_MAX

YES_NO = [("no", _("No")), ("yes", _("Yes"))]
INTERACTIVE_HELP = _("Real-time audio or video with the patient. Text messages and e-mail do not count.")


def _date_field(label, help_text=""):
    return forms.DateField(label=label, help_text=help_text, widget=forms.DateInput(attrs={"type": "date"}))


class _Dated(forms.Form):
    """A form whose date fields take the plan-date range (as the date picker's min and max, and on submit)."""

    date_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.date_fields:
            limit_form_date(self.fields[name], PLAN_DATES)
            self.fields[name].widget.attrs["max"] = timezone.localdate().isoformat()


# Prefixes keep the ids of these fields apart from the patient page's own forms (its measurement date, say).
class EnrolForm(_Dated):
    prefix = "rtm-enrol"
    date_fields = ("setup_date",)
    setup_date = _date_field(_("Set-up date"), _("The day the patient was set up and shown how to send data. "
                                                 "It starts the first 30-day period."))


class UnenrolForm(_Dated):
    prefix = "rtm-end"
    date_fields = ("last_day",)
    last_day = _date_field(_("Last day of monitoring"), _("Data and time after this day no longer count."))


class _Interactive(forms.Form):
    interactive = forms.TypedChoiceField(
        label=_("Interactive communication"), choices=YES_NO, coerce=lambda value: value == "yes", initial="no",
        widget=forms.RadioSelect, help_text=INTERACTIVE_HELP)
    activity = forms.CharField(label=_("What was done"), max_length=ACTIVITY_MAX_LENGTH,
                               widget=forms.Textarea(attrs={"rows": 2}))


class TimeEntryForm(_Dated, _Interactive):
    prefix = "rtm-time"
    date_fields = ("date",)
    field_order = ["date", "minutes", "activity", "interactive"]

    date = _date_field(_("Date"), _("Counted in this day's calendar month."))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=ENTRY_MINUTES_MAX,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class TimerStopForm(_Interactive):
    prefix = "rtm-stop"
    field_order = ["activity", "interactive"]


class ClinicListFilter(forms.Form):
    """The clinic page's filters; an unknown therapist or status is ignored, never an error page."""

    therapist = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = forms.ChoiceField(required=False, choices=[("", "")])

    def __init__(self, *args, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", ""), *[(s, s) for s in statuses]]

    def value(self, name: str):
        """A field's value when it is valid (the other field may not be), else None."""
        self.is_valid()
        return self.cleaned_data.get(name)
