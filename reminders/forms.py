"""The reminder settings forms: the patient's (on the phone) and the clinic's defaults (clinic admins)."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reminders.models import ClinicReminderDefaults, ReminderPreference

# A context of their own: Django's date formats translate the bare "Mon"… (lower case in Spanish, "lun").
WEEKDAY_CHOICES = [(str(n), name) for n, name in enumerate(
    (pgettext_lazy("weekday button", "Mon"), pgettext_lazy("weekday button", "Tue"),
     pgettext_lazy("weekday button", "Wed"), pgettext_lazy("weekday button", "Thu"),
     pgettext_lazy("weekday button", "Fri"), pgettext_lazy("weekday button", "Sat"),
     pgettext_lazy("weekday button", "Sun")))]
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
SHARED = ("training_enabled", "training_time", "training_weekdays", "checkin_enabled", "checkin_time",
          "nudge_enabled", "nudge_after_days", "quiet_start", "quiet_end", "push_enabled", "email_enabled")


class WeekdaysField(forms.MultipleChoiceField):
    """Ticked weekdays in the form; a string of digits ("024") on the model."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=WEEKDAY_CHOICES, required=False, **kwargs)

    def prepare_value(self, value):
        return list(value) if isinstance(value, str) else value

    def clean(self, value):
        return "".join(sorted(super().clean(value)))


class ReminderSettingsForm(forms.ModelForm):
    training_weekdays = WeekdaysField(label=_("Training days"))

    class Meta:
        fields = SHARED
        widgets = {name: TIME for name in ("training_time", "checkin_time", "quiet_start", "quiet_end")}


class ReminderPreferenceForm(ReminderSettingsForm):
    timezone = forms.ChoiceField(label=_("Time zone"), required=False, help_text=_("Empty: the clinic's."),
                                 choices=[("", _("The clinic's time zone"))]
                                 + [(z, z) for z in sorted(zoneinfo.available_timezones())])

    class Meta(ReminderSettingsForm.Meta):
        model = ReminderPreference
        fields = (*SHARED, "timezone")


class ClinicReminderDefaultsForm(ReminderSettingsForm):
    class Meta(ReminderSettingsForm.Meta):
        model = ClinicReminderDefaults


class PushSubscriptionForm(forms.Form):
    """A browser's push subscription, as the page's script posts it (from `subscription.toJSON()`)."""

    endpoint = forms.URLField(max_length=1000, assume_scheme="https")
    p256dh = forms.CharField(max_length=200, required=False)
    auth = forms.CharField(max_length=64, required=False)
