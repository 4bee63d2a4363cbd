"""Forms for the patient's phone pages. They validate input; the services do the work."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib.auth import password_validation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clinic.builtin_text import builtin_text
from clinic.dates import BIRTH_DATES, MEASUREMENT_DATES, PLAN_DATES, SURGERY_DATES, limit_form_date
from clinic.formats import our_format
from clinic.language import clinic_language, language_choices
from clinic.numbers import local_decimal_form
from patients.models import HOLD_MAX, NOTE_MAX_LENGTH, REASON_MAX_LENGTH, REPS_MAX, SESSION_DOSE_FIELDS, SETS_MAX
from patients.services import BACKDATE_LIMIT_DAYS
from protocols.wording import format_level

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


class InvitationExistingPasswordForm(forms.Form):
    """An invitation to an address that already has a login: its current password proves the invitee owns it."""

    password = forms.CharField(
        label=_("Your existing Backstep password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class InvitationConfirmForm(forms.Form):
    """Signed in as the invitation's own account: one button, no password (it stays as it is)."""


class ShowsHiddenFieldErrors:
    """For forms with hidden fields: their errors are also shown above the form, in words.

    A person can neither see nor correct a hidden field (the form's id, the
    morning an answer is about), but must learn why nothing was saved.
    """

    stale_message = _("This page was out of date, so nothing was saved. Please check it and send it again.")
    # Hidden fields whose own messages make sense to a person; the others get `stale_message`.
    hidden_messages_shown: tuple[str, ...] = ()

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        messages = []
        for name, field in self.fields.items():
            if field.widget.is_hidden and name in self._errors:
                for message in (self._errors[name] if name in self.hidden_messages_shown else [self.stale_message]):
                    if message not in messages and message not in self.non_field_errors():
                        messages.append(message)
        for message in messages:
            self.add_error(None, message)


def recent_dates(today: dt.date, *, since: dt.date | None = None,
                 also: dt.date | None = None) -> list[tuple[str, str]]:
    """Days a session may be logged on, newest first, as (ISO date, label).

    Today and the 14 days before it, but never before `since` (the plan's
    start); `also` adds one more day (the date of an entry being corrected).
    """
    earliest = today - dt.timedelta(days=BACKDATE_LIMIT_DAYS)
    if since is not None:
        earliest = max(earliest, since)
    choices = []
    days = [today - dt.timedelta(days=back) for back in range((today - earliest).days + 1)]
    if also is not None and also not in days:
        days = sorted([*days, also], reverse=True)
    for day in days:
        back = (today - day).days
        if back == 0:
            label = _("Today")
        elif back == 1:
            label = _("Yesterday")
        else:
            label = date_format(day, our_format("WEEKDAY_DATE"))
        choices.append((day.isoformat(), label))
    return choices


class PainField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=NPRS_CHOICES, coerce=int, widget=forms.RadioSelect, **kwargs)


@local_decimal_form
class SessionLogForm(ShowsHiddenFieldErrors, forms.Form):
    """One session, prefilled from today's plan. Unknown field values never reach the database."""

    exercise = forms.TypedChoiceField(label=_("Exercise"), coerce=int)
    date = forms.TypedChoiceField(label=_("When"), coerce=dt.date.fromisoformat)
    completed = forms.TypedChoiceField(
        label=_("Did you finish it?"),
        choices=[("yes", _("Completed")), ("no", pgettext_lazy("session", "Stopped early"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    duration_min = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=180, required=False)
    speed_kmh = forms.DecimalField(label=_("Speed (km/h)"), min_value=0, max_value=20, decimal_places=1,
                                   required=False)
    incline_pct = forms.DecimalField(label=_("Incline (%)"), min_value=0, max_value=40, decimal_places=1,
                                     required=False)
    sets = forms.IntegerField(label=_("Sets done"), min_value=1, max_value=SETS_MAX, required=False)
    reps = forms.IntegerField(label=_("Reps in each set"), min_value=1, max_value=REPS_MAX, required=False)
    hold_seconds = forms.IntegerField(label=_("Seconds held each time"), min_value=1, max_value=HOLD_MAX,
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
    notes = forms.CharField(label=_("Notes (optional)"), required=False, max_length=NOTE_MAX_LENGTH,
                            widget=forms.Textarea(attrs={"rows": 3}))
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, exercises=(), today: dt.date, also_date: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.exercises = {exercise.pk: exercise for exercise in exercises}
        self.fields["exercise"].choices = [(e.pk, builtin_text(e.name)) for e in exercises]
        starts = [e.assignment.start_date for e in exercises]
        self.fields["date"].choices = recent_dates(today, since=min(starts) if starts else None, also=also_date)
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("date", today.isoformat())

    def clean(self):
        """What was done is what the exercise logs (minutes and load, or sets of reps or holds), all of it.

        Fields the chosen exercise does not log were hidden on the page: their
        values (left from another exercise) are not saved, though a value no
        field could hold is still refused (the page shows that field again).
        """
        cleaned = super().clean()
        exercise = self.exercises.get(cleaned.get("exercise"))
        if exercise is None:
            return cleaned
        for name in SESSION_DOSE_FIELDS:
            if name not in exercise.logged_fields:
                cleaned[name] = None
            elif cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, _("Enter what you did (the plan's value is filled in)."))
        return cleaned

    @property
    def exercise_obj(self):
        return self.exercises.get(self.cleaned_data.get("exercise"))


class CheckInForm(ShowsHiddenFieldErrors, forms.Form):
    hidden_messages_shown = ("date",)

    pain = PainField(label=_("How does your knee feel this morning?"))
    # The morning the answer is about, set when the page was shown: an answer sent later (offline,
    # after midnight) still belongs to that morning.
    date = forms.DateField(widget=forms.HiddenInput, required=False)
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("date", today)

    def clean_date(self):
        day = self.cleaned_data.get("date") or self.today
        if self.today and (day > self.today or day < self.today - dt.timedelta(days=BACKDATE_LIMIT_DAYS)):
            raise forms.ValidationError(_("This answer is too old to record. Please answer for today."))
        return day


# ---------------------------------------------------------------------------
# Staff forms
# ---------------------------------------------------------------------------


class PatientForm(forms.ModelForm):
    """A patient's details; the clinic comes from the signed-in therapist, never from the form."""

    class Meta:
        from patients.models import Patient

        model = Patient
        fields = ["first_name", "last_name", "email", "external_ref", "date_of_birth", "condition", "side",
                  "surgery_date", "therapist", "language"]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "surgery_date": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {"surgery_date": _("Required after ACL reconstruction.")}
        # The model's field has no verbose_name (a new one would need a migration): the form names it.
        labels = {"therapist": _("Therapist")}

    def __init__(self, *args, clinic, **kwargs):
        from clinic.models import User

        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = User.objects.filter(memberships__clinic=clinic, is_active=True)
        self.fields["therapist"].required = True
        self.fields["email"].help_text = _("Needed to send the patient an invitation.")
        self.fields["language"].choices = language_choices(clinic_language(clinic))
        self.fields["language"].help_text = _("Of the patient's pages, e-mails and reminders. They can change it "
                                              "on their phone.")
        limit_form_date(self.fields["surgery_date"], SURGERY_DATES)
        limit_form_date(self.fields["date_of_birth"], BIRTH_DATES)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("condition") == "acl" and not cleaned.get("surgery_date"):
            self.add_error("surgery_date", _("A surgery date is required after ACL reconstruction."))
        return cleaned

    def validate_unique(self):
        """Uniqueness is checked by the service against the right clinic."""

    def validate_constraints(self):
        """The service checks these with messages a therapist can act on; the database still enforces them."""


def protocol_label(protocol) -> str:
    """A protocol in the assign form's list: Backstep's names in the reader's language, the clinic's as written."""
    if protocol.is_builtin:
        return _("%(name)s (built-in)") % {"name": builtin_text(protocol.name)}
    return protocol.name


class AssignForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=None, label=_("Protocol"))
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    baseline_pain = forms.TypedChoiceField(
        label=_("Baseline morning pain (0–10)"), choices=NPRS_CHOICES, coerce=int, widget=forms.RadioSelect,
        help_text=_("How the knee feels on waking, before the plan starts."),
    )
    sessions_per_week = forms.IntegerField(
        label=_("Planned training days per week"), min_value=1, max_value=14, required=False,
        help_text=_("Leave empty to use the protocol's."),
    )
    surgery_date = forms.DateField(label=_("Surgery date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}),
                                   help_text=_("After ACL reconstruction: needed for the running gate."))

    def __init__(self, *args, protocols, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["protocol"].queryset = protocols
        self.fields["protocol"].label_from_instance = protocol_label
        limit_form_date(self.fields["start_date"], PLAN_DATES)
        limit_form_date(self.fields["surgery_date"], SURGERY_DATES)
        if not self.is_bound:
            self.initial.setdefault("surgery_date", patient.surgery_date)

    def clean(self):
        cleaned = super().clean()
        if self.patient.condition == "acl" and not cleaned.get("surgery_date"):
            self.add_error("surgery_date", _("A surgery date is required after ACL reconstruction."))
        return cleaned


class StepChangeForm(forms.Form):
    exercise = forms.TypedChoiceField(label=_("Exercise"), coerce=int)
    step = forms.TypedChoiceField(label=_("New level"), coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH,
                             help_text=_("Shown in the step history, e.g. \"pain settled, step up\"."))

    def __init__(self, *args, exercises, ladders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exercise"].choices = [(e.pk, builtin_text(e.name)) for e in exercises]
        self.fields["step"].choices = sorted({
            (step.order, f"{format_level(step.order, len(ladders[e.pk])).capitalize()}: {step.in_words}")
            for e in exercises for step in ladders.get(e.pk, [])
        })


class PhaseChangeForm(forms.Form):
    phase = forms.TypedChoiceField(label=_("Move to phase"), coerce=int)
    go_ahead = forms.BooleanField(
        label=_("Move anyway, although entry criteria are not met"), required=False,
        help_text=_("Needed only when the chosen phase shows criteria that are not met; say why in the reason."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH)

    def __init__(self, *args, phases, current_phase_id=None, **kwargs):
        # Its own ids: the step-change form on the same page also has a "reason".
        kwargs.setdefault("auto_id", "id_phase_change_%s")
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [(p.pk, f"{p.order + 1}. {builtin_text(p.name)}") for p in phases]
        if not self.is_bound:
            # The phase after the current one is the usual move.
            orders = [p.pk for p in phases]
            if current_phase_id in orders and orders.index(current_phase_id) + 1 < len(orders):
                self.initial.setdefault("phase", orders[orders.index(current_phase_id) + 1])


@local_decimal_form
class MeasurementForm(forms.ModelForm):
    class Meta:
        from patients.models import Measurement

        model = Measurement
        fields = ["date", "effusion", "quad_lsi_pct", "hop_lsi_pct", "rom_pct", "running_signoff"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}
        help_texts = {"effusion": _("Stroke test. Leave empty if not tested."),
                      "quad_lsi_pct": _("Involved / uninvolved × 100. Empty if not measured.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_form_date(self.fields["date"], MEASUREMENT_DATES)


class FlagNoteForm(forms.Form):
    """The note sent with a flag action (decline, resolve): plain text, as long as the API allows.

    The action and the flag ids are read by the view; the note is text that is stored.
    """

    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH)

    def problem(self) -> str:
        return _("Note not saved: %(problem)s") % {"problem": " ".join(self.errors.get("note", []))}


class EndPlanForm(forms.Form):
    status = forms.ChoiceField(label=_("How did it end?"),
                               choices=[("completed", _("Completed")), ("stopped", _("Stopped"))])
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_form_date(self.fields["end_date"], PLAN_DATES)


class JoinCodeForm(forms.Form):
    """The code shown in the clinic, as the patient types it (dashes and spaces are ignored)."""

    code = forms.CharField(label=_("Your join code"), max_length=20, widget=forms.TextInput(attrs={
        "autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false",
        "placeholder": "ABCD-2345"}))


class JoinPasswordForm(InvitationPasswordForm):
    """Choose a password after a valid join code; the e-mail too when the clinic has none for the patient."""

    email = forms.EmailField(label=_("Your e-mail (you sign in with it)"), required=False)

    def __init__(self, *args, needs_email: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_email:
            self.fields["email"].required = True
            self.order_fields(["email", "password1", "password2"])
        else:
            del self.fields["email"]
