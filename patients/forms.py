"""Forms for the patient's phone pages. They validate input; the services do the work."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib.auth import password_validation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from patients.services import BACKDATE_LIMIT_DAYS

NPRS_CHOICES = [(n, str(n)) for n in range(11)]


class InvitationPasswordForm(forms.Form):
    """Choose a password (Django's validators: at least 12 characters, not a common one)."""

    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. A short sentence is easy to remember."),
    )
    password2 = forms.CharField(
        label=_("Type it again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords are not the same."))
        return second

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password1")
        if password and not self.errors:
            try:
                password_validation.validate_password(password, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


def recent_dates(today: dt.date) -> list[tuple[str, str]]:
    """Today and the 14 days before it, newest first, as (ISO date, label)."""
    choices = []
    for back in range(BACKDATE_LIMIT_DAYS + 1):
        day = today - dt.timedelta(days=back)
        if back == 0:
            label = _("Today")
        elif back == 1:
            label = _("Yesterday")
        else:
            label = date_format(day, "l j F")
        choices.append((day.isoformat(), label))
    return choices


class PainField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=NPRS_CHOICES, coerce=int, widget=forms.RadioSelect, **kwargs)


class SessionLogForm(forms.Form):
    """One session, prefilled from today's plan. Unknown field values never reach the database."""

    exercise = forms.TypedChoiceField(label=_("Exercise"), coerce=int)
    date = forms.TypedChoiceField(label=_("When"), coerce=dt.date.fromisoformat)
    completed = forms.TypedChoiceField(
        label=_("Did you finish it?"),
        choices=[("yes", _("Completed")), ("no", _("Stopped early"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    duration_min = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=180)
    speed_kmh = forms.DecimalField(label=_("Speed (km/h)"), min_value=0, max_value=20, decimal_places=1,
                                   required=False)
    incline_pct = forms.DecimalField(label=_("Incline (%)"), min_value=0, max_value=40, decimal_places=1,
                                     required=False)
    pain_during = PainField(label=_("Worst pain during"))
    pain_after = PainField(label=_("Pain right after"))
    rpe = forms.TypedChoiceField(
        label=_("How hard was it? (0 rest – 10 maximal)"),
        choices=NPRS_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
    )
    notes = forms.CharField(label=_("Notes (optional)"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, exercises=(), today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.exercises = {exercise.pk: exercise for exercise in exercises}
        self.fields["exercise"].choices = [(e.pk, e.name) for e in exercises]
        self.fields["date"].choices = recent_dates(today)
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("date", today.isoformat())

    def clean(self):
        cleaned = super().clean()
        exercise = self.exercises.get(cleaned.get("exercise"))
        if exercise is not None and exercise.has_ladder:
            for name in ("speed_kmh", "incline_pct"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Enter the value you used (the plan's value is filled in)."))
        return cleaned

    @property
    def exercise_obj(self):
        return self.exercises.get(self.cleaned_data.get("exercise"))


class CheckInForm(forms.Form):
    pain = PainField(label=_("How does your knee feel this morning?"))
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
