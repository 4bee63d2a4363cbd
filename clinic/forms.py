from crispy_bootstrap5.bootstrap5 import Switch
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clinic.language import language_choices, user_language
from clinic.models import ClinicSettings, Membership
from clinic.numbers import local_decimals, local_number


class SignInForm(AuthenticationForm):
    """E-mail and password; the error says what to do without revealing which part was wrong."""

    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email", "inputmode": "email"}),
    )
    error_messages = {
        "invalid_login": _(
            "That e-mail and password do not match an account. Check both and try again, "
            "or ask your clinic to reset your password."
        ),
        "inactive": _("This account has been deactivated. Please contact your clinic."),
    }


class TwoFactorCodeForm(forms.Form):
    """One code: from the authenticator app (6 digits) or, where allowed, a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none",
                                      "spellcheck": "false"}),
    )

    def __init__(self, *args, label=None, help_text=None, numeric: bool = False, autofocus: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if label:
            field.label = label
        if help_text:
            field.help_text = help_text
        if numeric:
            field.widget.attrs["inputmode"] = "numeric"
        if autofocus:
            field.widget.attrs["autofocus"] = True


# ---------------------------------------------------------------------------
# Clinic administration
# ---------------------------------------------------------------------------


class StaffInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"})
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Membership.Role.choices,
        initial=Membership.Role.THERAPIST,
        help_text=_("Clinic admins also manage staff, clinic settings and API keys."),
    )


# Label and plain explanation of each engine threshold, in the order the page shows them.
ENGINE_SETTING_TEXT = {
    "green_max": (
        _("Green zone: highest pain during exercise"),
        _("Pain during exercise (0–10) up to this score is green: the patient can move up a step."),
    ),
    "red_above": (
        _("Red zone: pain above"),
        _("Pain during exercise above this score is red: the next session steps down at once and the "
          "therapist gets an urgent flag. Scores in between are amber: hold the step."),
    ),
    "green_sessions_to_progress": (
        _("Green sessions before a step up"),
        _("How many green sessions in a row at the current step before the engine suggests the next step."),
    ),
    "trend_points": (
        _("Worsening trend: rise in morning pain (points)"),
        _("Hold and flag when the last 7 days' mean morning pain is at least this much above the 7 days "
          "before."),
    ),
    "max_auto_incline_pct": (
        _("Highest incline without a therapist's override (%)"),
        _("Steps steeper than this always wait for a therapist."),
    ),
    "running_speed_kmh": (
        _("Running speed (km/h)"),
        _("Steps at or above this speed count as running and need the return-to-running criteria and a "
          "therapist's sign-off."),
    ),
    "adherence_min_fraction": (
        _("Low adherence: share of planned sessions (0–1)"),
        _("Flag low adherence when fewer than this share of the planned sessions were done in the last "
          "14 days; 0.6 means 60 %."),
    ),
}


CONTACT_FIELDS = ("contact_phone", "contact_email", "contact_hours")
CONTACT_INTRO = _("Shown to patients in every page's footer, prominently after a session with pain in the red "
                  "zone, on the printed plan and in e-mails to patients. Fill in at least a phone number.")


class ClinicSettingsForm(forms.Form):
    """One number field per engine threshold (empty: the engine's default) and the automatic-progression switch.

    Type and sign are checked here; the bounds and the relations between
    thresholds are the engine's own, checked by `clinic_settings_update`.
    """

    auto_apply_progressions = forms.BooleanField(
        label=_("Apply progressions automatically"),
        required=False,
        help_text=_(
            "Off (the default): when the engine finds a patient ready for the next step, a therapist approves "
            "it with one click in the flag inbox. On: the step up applies at once. Step-downs for pain always "
            "apply at once, whatever this setting."
        ),
    )
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor sign-in for staff"),
        required=False,
        help_text=_(
            "On: therapists and clinic admins sign in with their password and a 6-digit code from an "
            "authenticator app on their phone. Anyone without one sets it up at their next page, before they "
            "can see patients. Patients are never asked. Recommended: Backstep holds health data."
        ),
    )

    contact_phone = forms.CharField(
        label=_("Phone for patients"), required=False, max_length=40,
        help_text=ClinicSettings._meta.get_field("contact_phone").help_text,
        validators=ClinicSettings._meta.get_field("contact_phone").validators,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    contact_email = forms.EmailField(
        label=_("E-mail for patients"), required=False, max_length=254,
        validators=ClinicSettings._meta.get_field("contact_email").validators,
        widget=forms.EmailInput(attrs={"inputmode": "email", "autocomplete": "off"}),
    )
    contact_hours = forms.CharField(
        label=_("Opening hours"), required=False, max_length=120,
        help_text=ClinicSettings._meta.get_field("contact_hours").help_text,
        validators=ClinicSettings._meta.get_field("contact_hours").validators,
    )
    # Not sent (a form from before the field existed, a script): the clinic's language stays as it is.
    default_language = forms.ChoiceField(
        label=_("Default language"), choices=settings.LANGUAGES, required=False,
        help_text=ClinicSettings._meta.get_field("default_language").help_text,
    )

    def __init__(self, *args, defaults: dict, two_factor_always: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if two_factor_always:
            # Production requires it whatever the clinic says; show it on and fixed.
            field = self.fields["require_two_factor"]
            field.disabled = True
            self.initial["require_two_factor"] = True
            field.help_text = _(
                "Always on in this installation: every therapist and clinic admin signs in with a code from an "
                "authenticator app. Patients are never asked."
            )
        for name, (label, description) in ENGINE_SETTING_TEXT.items():
            default = defaults[name]
            help_text = _("%(description)s Default: %(default)s. Leave empty to use the default.") % {
                "description": description, "default": local_number(default),
            }
            attrs = {"placeholder": local_number(default)}
            if ClinicSettings.ENGINE_SETTING_NAMES[name] is int:
                self.fields[name] = forms.IntegerField(
                    label=label, required=False, min_value=0, help_text=help_text,
                    widget=forms.NumberInput(attrs={**attrs, "inputmode": "numeric"}),
                )
            else:
                self.fields[name] = forms.DecimalField(
                    label=label, required=False, min_value=0, max_digits=8, decimal_places=2,
                    help_text=help_text, widget=forms.NumberInput(attrs={**attrs, "inputmode": "decimal"}),
                )
        local_decimals(self.fields)  # "0,6" in German and Spanish, "0.6" everywhere
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template has the form tag and its token
        self.helper.layout = Layout(
            Fieldset(_("How patients reach the clinic"),
                     HTML(format_html('<p class="small text-body-secondary">{}</p>', CONTACT_INTRO)),
                     *CONTACT_FIELDS),
            Fieldset(_("Language"), "default_language"),
            Fieldset(_("Pain zones"), "green_max", "red_above"),
            Fieldset(_("Stepping up"), "green_sessions_to_progress", "trend_points", "max_auto_incline_pct",
                     "running_speed_kmh"),
            Fieldset(_("Adherence"), "adherence_min_fraction"),
            Fieldset(_("Automatic progression"), Switch("auto_apply_progressions")),
            Fieldset(_("Sign-in"), Switch("require_two_factor")),
        )

    def clean_default_language(self) -> str:
        return self.cleaned_data["default_language"] or self.initial.get("default_language") or settings.LANGUAGE_CODE

    def engine_overrides(self) -> dict:
        """The thresholds as entered: None for "use the default"."""
        return {name: self.cleaned_data.get(name) for name in ENGINE_SETTING_TEXT}

    def contact(self) -> dict:
        """Phone, e-mail and hours as entered ("" when empty)."""
        return {name.removeprefix("contact_"): self.cleaned_data.get(name) or "" for name in CONTACT_FIELDS}


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("What uses the key, e.g. “EHR nightly sync”, so you know which one to revoke later."),
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"), required=False, min_value=1, max_value=3650,
        help_text=_("Leave empty for a key that never expires. Keys that expire are safer."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )



class LanguageForm(forms.Form):
    """A person's own language (their Language page); blank follows the clinic's default."""

    language = forms.ChoiceField(label=_("Language"), required=False, widget=forms.RadioSelect)

    def __init__(self, *args, clinic_language_code: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        field.choices = language_choices(clinic_language_code)
        field.error_messages["invalid_choice"] = _(
            "%(value)s is not a language Backstep speaks. Choose one from the list.")


class LanguagePasswordResetForm(PasswordResetForm):
    """"Forgot your password?": the e-mail goes in the account's language (its own, else its clinic's), whatever
    the language of the signed-out page that asked for it."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        with translation.override(user_language(context["user"])):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)
