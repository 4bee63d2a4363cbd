"""Forms for the exercise library and the protocol builder. They validate input; services write."""

from __future__ import annotations

from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from clinic.builtin_text import builtin_text
from clinic.numbers import local_decimal_form
from protocols.ladder import MAX_AUTO_INCLINE_PCT, LadderSpec, ladder_spec_errors
from protocols.models import (
    DURATION_MAX,
    DURATION_MIN,
    INCLINE_MAX,
    LADDER_KINDS,
    PHASE_CRITERIA_FIELDS,
    SPEED_MAX,
    ExerciseTemplate,
    LadderStep,
    Phase,
    PrescribedExercise,
    Protocol,
)

FREQUENCY_MESSAGE = _("Enter how many times a week, from 1 to 14.")
SESSIONS_MESSAGE = _("Enter the planned training days per week, from 1 to 14.")


def _helper(*layout) -> FormHelper:
    """Crispy helper for forms whose <form> tag and buttons live in the page template."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


def _columns(*names, size="col-sm") -> Row:
    return Row(*(Column(name, css_class=size) for name in names))


# Field-name endings of load fields -> (lowest, highest, unit), as the models allow.
LOAD_RANGES = (
    ("_kmh", (Decimal("0"), SPEED_MAX, "km/h")),
    ("_pct", (Decimal("0"), INCLINE_MAX, "%")),
    ("_min", (DURATION_MIN, DURATION_MAX, "min")),
)


def explain_ranges(form: forms.BaseForm, overrides: dict | None = None) -> None:
    """Give every speed, incline and duration field one plain range message ("Enter a value from 0 to 20 km/h.").

    The form then refuses out-of-range values itself, so the model's generic
    "Ensure this value is ..." messages never reach the therapist.
    """
    for name, field in form.fields.items():
        if not isinstance(field, (forms.IntegerField, forms.DecimalField)):
            continue
        limits = (overrides or {}).get(name) or next((r for end, r in LOAD_RANGES if name.endswith(end)), None)
        if limits is None:
            continue
        low, high, unit = limits
        message = _("Enter a value from %(low)s to %(high)s %(unit)s.") % {"low": low, "high": high, "unit": unit}
        field.min_value, field.max_value = low, high
        field.validators = [v for v in field.validators if not isinstance(v, (MinValueValidator, MaxValueValidator))]
        message = message.replace("%", "%%")  # ValidationError formats its message with %-params
        field.validators += [MinValueValidator(low, message), MaxValueValidator(high, message)]
        field.widget.attrs.update(min=str(low), max=str(high))


def explain_incline_limit(field: forms.Field, max_incline: Decimal | None) -> None:
    """Tell the therapist where the engine stops progressing on its own (rule R10)."""
    limit = f"{(max_incline if max_incline is not None else MAX_AUTO_INCLINE_PCT).normalize():f}"
    field.help_text = _("Steps above %(limit)s %% are allowed, but the engine holds before them for your approval.") % {
        "limit": limit}


def speed_input(label, **kw) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=Decimal("0"), max_value=SPEED_MAX, max_digits=4,
                              decimal_places=1, **kw)


def incline_input(label, **kw) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=Decimal("0"), max_value=INCLINE_MAX, max_digits=4,
                              decimal_places=1, **kw)


def minutes_input(label, **kw) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=DURATION_MIN, max_value=DURATION_MAX, **kw)


@local_decimal_form
class ExerciseTemplateForm(forms.ModelForm):
    """A clinic's exercise template. Cross-field rules (caps ≥ start values, ...) live in the service."""

    class Meta:
        model = ExerciseTemplate
        fields = [
            "name", "kind",
            "default_duration_min", "handrail",
            "default_speed_kmh", "default_incline_pct",
            "speed_step_kmh", "incline_step_pct", "duration_step_min",
            "max_speed_kmh", "max_incline_pct", "max_duration_min",
            "default_sets", "default_reps", "default_hold_seconds",
            "instructions", "safety_notes",
        ]
        labels = {"default_duration_min": _("Duration (min)")}
        help_texts = {
            "default_duration_min": _("For a retro treadmill walk or run: the first ladder step's duration."),
            "instructions": _("What the patient reads: how to do it, in plain words."),
            "safety_notes": _("Shown to the patient before every session."),
        }
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 4}),
            "safety_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, max_incline: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        explain_ranges(self)
        explain_incline_limit(self.fields["max_incline_pct"], max_incline)
        self.fields["handrail"].choices = [("", _("Not specified")), *self.fields["handrail"].choices[1:]]
        ladder_kinds = " ".join(sorted(LADDER_KINDS))
        self.helper = _helper(
            Fieldset(_("Exercise"), _columns("name", "kind")),
            Fieldset(_("Dose"), _columns("default_duration_min", "handrail"),
                     _columns("default_sets", "default_reps", "default_hold_seconds")),
            Div(
                Fieldset(
                    _("Load ladder (retro treadmill walk and run)"),
                    HTML('<p class="small text-body-secondary">{}</p>'.format(
                        _("The ladder starts at these values and raises one of them per step, up to the caps.")
                    )),
                    _columns("default_speed_kmh", "default_incline_pct"),
                    _columns("speed_step_kmh", "incline_step_pct", "duration_step_min"),
                    _columns("max_speed_kmh", "max_incline_pct", "max_duration_min"),
                ),
                css_class="bs-ladder-fields",
                data_ladder_kinds=ladder_kinds,
            ),
            Fieldset(_("For the patient"), "instructions", "safety_notes"),
        )


class ProtocolForm(forms.ModelForm):
    sessions_per_week = forms.IntegerField(
        label=_("Planned training days per week"), min_value=1, max_value=14, initial=3,
        error_messages={"min_value": SESSIONS_MESSAGE, "max_value": SESSIONS_MESSAGE},
        help_text=_("From 1 to 14. Assignments start with this value."),
    )

    class Meta:
        model = Protocol
        fields = ["name", "condition", "sessions_per_week", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("name", _columns("condition", "sessions_per_week"), "description")


@local_decimal_form
class PhaseForm(forms.ModelForm):
    class Meta:
        model = Phase
        fields = ["name", "expected_weeks", "goals", "entry_criteria", *PHASE_CRITERIA_FIELDS]
        help_texts = {
            "expected_weeks": _("From 1 to 52."),
            "entry_criteria": _("What the patient must show before starting this phase."),
            "min_weeks_since_surgery": _("Empty: not a criterion. The fields below are checked against the latest "
                                         "measurements when a patient is moved into this phase."),
        }
        widgets = {"goals": forms.Textarea(attrs={"rows": 3}), "entry_criteria": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_columns("name", "expected_weeks"), "goals", "entry_criteria",
                              _columns("min_weeks_since_surgery", "max_effusion"),
                              _columns("min_quad_lsi_pct", "min_hop_lsi_pct", "min_rom_pct"),
                              "requires_running_signoff")


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, template: ExerciseTemplate) -> str:
        origin = _("built-in") if template.is_builtin else _("clinic")
        return f"{builtin_text(template.name)} — {template.get_kind_display()} ({origin})"


class PrescribedExerciseForm(forms.ModelForm):
    """How often and how much. A new exercise also picks its template."""

    frequency_per_week = forms.IntegerField(
        label=_("Times per week"), min_value=1, max_value=14, initial=3,
        error_messages={"min_value": FREQUENCY_MESSAGE, "max_value": FREQUENCY_MESSAGE},
        help_text=_("From 1 to 14."),
    )

    class Meta:
        model = PrescribedExercise
        fields = ["frequency_per_week", "sets", "reps", "hold_seconds", "duration_min", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, templates=None, ladder=False, **kwargs):
        super().__init__(*args, **kwargs)
        layout = []
        if templates is not None:
            self.fields["template"] = TemplateChoiceField(
                queryset=templates, label=_("Exercise template"), empty_label=_("Choose an exercise…"),
                help_text=_("Leave the dose blank to use the template's defaults. "
                            "Retro treadmill exercises get a load ladder you can adjust next."),
            )
            layout.append("template")
        explain_ranges(self)
        layout.append(_columns("frequency_per_week", "sets", "reps", "hold_seconds", "duration_min"))
        if ladder:
            self.fields["duration_min"].help_text = _("The ladder sets each session's duration.")
        layout.append("notes")
        self.helper = _helper(*layout)


@local_decimal_form
class LadderSpecForm(forms.Form):
    """Start values, step sizes and caps for generating a ladder, prefilled from the template."""

    start_speed_kmh = speed_input(_("Start speed (km/h)"))
    start_incline_pct = incline_input(_("Start incline (%)"))
    start_duration_min = minutes_input(_("Start duration (min)"))
    speed_step_kmh = speed_input(_("Speed step (km/h)"))
    incline_step_pct = incline_input(_("Incline step (%)"))
    duration_step_min = forms.IntegerField(label=_("Duration step (min)"), min_value=0, max_value=DURATION_MAX)
    max_speed_kmh = speed_input(_("Speed cap (km/h)"))
    max_incline_pct = incline_input(_("Incline cap (%)"))
    max_duration_min = minutes_input(_("Duration cap (min)"))
    first_duration_cap_min = minutes_input(
        _("First duration target (min)"),
        help_text=_("Duration rises to this first, then incline, then speed, then duration to its cap."),
    )
    # What the preview on screen was generated from; saving anything else previews again.
    previewed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, max_incline: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        explain_ranges(self, {"duration_step_min": (0, DURATION_MAX, "min")})
        explain_incline_limit(self.fields["max_incline_pct"], max_incline)
        self.helper = _helper(
            Fieldset(_("Start"), _columns("start_speed_kmh", "start_incline_pct", "start_duration_min")),
            Fieldset(_("Step sizes"), _columns("speed_step_kmh", "incline_step_pct", "duration_step_min")),
            Fieldset(_("Caps"), _columns("max_speed_kmh", "max_incline_pct", "max_duration_min"),
                     _columns("first_duration_cap_min", size="col-sm-8")),
            "previewed",
        )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for name, message in ladder_spec_errors(cleaned).items():
                self.add_error(name, message)
        return cleaned

    def spec(self) -> LadderSpec:
        return LadderSpec(**{name: self.cleaned_data[name] for name in LadderSpec.__dataclass_fields__})

    @staticmethod
    def fingerprint(spec: LadderSpec) -> str:
        return "|".join(f"{Decimal(str(getattr(spec, name))).normalize():f}"
                        for name in LadderSpec.__dataclass_fields__)


@local_decimal_form
class LadderStepForm(forms.ModelForm):
    class Meta:
        model = LadderStep
        fields = ["speed_kmh", "incline_pct", "duration_min"]

    def __init__(self, *args, max_incline: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        explain_ranges(self)
        explain_incline_limit(self.fields["incline_pct"], max_incline)
        self.helper = _helper(_columns("speed_kmh", "incline_pct", "duration_min"))
