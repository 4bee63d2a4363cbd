from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


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
