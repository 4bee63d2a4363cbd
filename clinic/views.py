"""Sign-in, sign-out, password reset, two-factor pages, the start page, joining a clinic and the health check.

Thin views: each calls clinic.security or clinic.services and shapes the page; shared page helpers are in
clinic.web.
"""

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic import security, services
from clinic.forms import LanguageForm, LanguagePasswordResetForm, SignInForm, TwoFactorCodeForm
from clinic.health import check_broker, check_database
from clinic.invitations import REFUSED, Offer, Outcome, invitation_account
from clinic.language import actor_language, clinic_language
from clinic.web import no_store, safe_next_url, service_errors_to_form, signed_in_and


class SignInView(auth_views.LoginView):
    """E-mail and password. Failed attempts are counted and locked out by django-axes (clinic.security.lockout);
    Django's login() gives the signed-in session a new key, and staff who need a code are sent on to it."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SiteAdminSignInView(SignInView):
    """Django's admin login (/admin/login/) as Backstep's sign-in: one form, one lockout, one two-factor check.

    Used by clinic.admin_site.SiteAdmin. Signing in here lands on the admin unless `next` says otherwise. A
    signed-in account that cannot open the admin is told so (403): sending it back to the admin would loop.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not security.can_open_site_admin(request.user):
            raise PermissionDenied(_("Your account cannot open the site administration."))
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return reverse("admin:index")


class SignOutView(auth_views.LogoutView):
    """POST only: deletes the session on the server, so the old cookie signs nobody in."""


class PasswordResetView(auth_views.PasswordResetView):
    """"Forgot your password?": the e-mailed link starts with SITE_URL, like every other e-mailed link.

    Django's own view builds it from the request's Host header; SITE_URL is the address the clinic set
    (or, in development, the address `make run` serves on), so all e-mails agree.
    """

    form_class = LanguagePasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a new password also lifts a sign-in lockout for that e-mail, as the lockout message promises."""

    def form_valid(self, form):
        response = super().form_valid(form)
        security.sign_in_failures_clear(email=form.user.email)
        return response


@login_required
def home(request):
    """Send each role to its own start page; site administrators without a clinic to Django's admin."""
    actor = request.actor
    if actor.is_staff_member:
        return redirect("patients:list")
    if actor.is_patient:
        return redirect("patients:today")
    if security.can_open_site_admin(request.user):
        return redirect("admin:index")  # a site administrator without a clinic (after signing in or verifying)
    return render(request, "clinic/no_role.html", status=403)


@login_required
@require_http_methods(["GET", "POST"])
def staff_join(request, token: str):
    """A clinic's invitation to an existing account: its owner, signed in as it, joins with one button.

    The password is never asked for or changed here; clinic.invitations decides
    whether this account may take the role. Someone signed in as another
    account learns nothing about the invitation.
    """
    try:
        offer = services.staff_join_check(token)
    except services.StaffJoinInvalid as invalid:
        return render(request, "clinic/staff_join.html", {"invalid": invalid.reason},
                      status=404 if invalid.reason == "unknown" else 410)
    if offer.user_id != request.user.pk:
        return render(request, "clinic/staff_join.html", {"other_account": True}, status=403)
    context = {"offer": offer}
    if request.method == "POST":
        try:
            services.staff_join(token=token, user=request.user)
        except ValidationError as error:
            context["refused"] = " ".join(error.messages)
        else:
            messages.success(request, _("You have joined %(clinic)s.") % {"clinic": offer.clinic.name})
            return redirect("home")
    elif invitation_account(email=request.user.email, offer=Offer(clinic=offer.clinic), holder=request.user,
                            proven=request.user).outcome is Outcome.REFUSE:
        context["refused"] = REFUSED
    return render(request, "clinic/staff_join.html", context)


def _require_person(request) -> None:
    if not (request.actor.is_patient or request.actor.is_staff_member):
        raise PermissionDenied(_("Patients and clinic staff only."))


@require_http_methods(["GET", "POST"])
def _language_page(request):
    """A signed-in patient or staff member chooses the language of their pages, e-mails and reminders."""
    actor = request.actor
    form = LanguageForm(request.POST or None, clinic_language_code=clinic_language(actor.clinic),
                        initial={"language": actor.patient.language if actor.is_patient else actor.user.language})
    if request.method == "POST" and form.is_valid():
        try:
            services.language_choose(actor=actor, language=form.cleaned_data["language"])
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            # Said in the language just chosen, as the next page will be.
            with translation.override(actor_language(actor)):
                messages.success(request, _("Language saved. Your pages, e-mails and reminders use it."))
            return redirect("language")
    return render(request, "clinic/language.html", {"form": form}, status=400 if form.errors else 200)


language_page = signed_in_and(_require_person, _language_page)


@never_cache
@require_GET
def healthz(request):
    database, broker = check_database(), check_broker()
    healthy = database.ok and broker.ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": {"ok": database.ok, "detail": database.detail},
        "broker": {"ok": broker.ok, "detail": broker.detail},
    }
    return JsonResponse(body, status=200 if healthy else 503)


# ---------------------------------------------------------------------------
# Two-factor sign-in (staff only; enforced by clinic.security.middleware.SignInSecurityMiddleware)
# ---------------------------------------------------------------------------

WRONG_CODE = gettext_lazy("That code is not right. Type the newest 6-digit code from your app, or a recovery code.")


def _require_two_factor_user(request) -> None:
    if not security.uses_two_factor(user=request.user, actor=request.actor):
        raise PermissionDenied(_("Clinic staff and site administrators only."))


def two_factor_user_required(view):
    """Those who sign in with a second factor (clinic staff, site administrators): anonymous users go to sign in,
    everyone else (patients) gets 403."""
    return signed_in_and(_require_two_factor_user, view)


def _next_url(request) -> str:
    """The page to return to after the code, if it is one of ours."""
    return safe_next_url(request, request.POST.get("next") or request.GET.get("next"))


def _verified(request, device) -> None:
    """Mark this session as verified by `device`, under a new session key (a step up in privilege)."""
    django_otp.login(request, device)
    request.session.cycle_key()
    request.session.pop(security.TWO_FACTOR_NOT_NEEDED_UNTIL, None)


def _check_code(form, user):
    """The device accepting the form's code, or None with the reason added to the form."""
    try:
        device = security.two_factor_verify(user=user, code=form.cleaned_data["code"])
    except security.TwoFactorThrottled as error:
        form.add_error("code", error.messages)
        return None
    if device is None:
        form.add_error("code", WRONG_CODE)
    return device


@two_factor_user_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """Second step of signing in: a code from the authenticator app, or a recovery code."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified() or security.authenticator_get(user=user) is None:
        return redirect(next_url or "home")  # nothing to verify (the middleware sends anyone needing set-up there)
    form = TwoFactorCodeForm(
        request.POST or None, label=_("Code"), autofocus=True,
        help_text=_("The 6-digit code your authenticator app shows for Backstep. Lost your phone? Type one of "
                    "your recovery codes instead."),
    )
    if request.method == "POST" and form.is_valid():
        device = _check_code(form, user)
        if device is not None:
            _verified(request, device)
            if security.is_recovery_code_device(device):
                left = security.recovery_codes_left(user=user)
                messages.warning(request, _(
                    "You signed in with a recovery code; it cannot be used again. %(left)s left. "
                    "Make new ones on your account security page.") % {"left": left})
            return redirect(next_url or "home")
    return render(request, "clinic/two_factor_verify.html", {
        "form": form, "next": next_url, "two_factor_pending": True,
    })


@two_factor_user_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Turn on two-factor: scan the QR code (or type the secret), confirm with a code, get recovery codes."""
    user = request.user
    next_url = _next_url(request)
    if security.authenticator_get(user=user) is not None:
        messages.info(request, _("Two-factor sign-in is already on."))
        return redirect("account-security")
    device = security.authenticator_pending(user=user)
    form = TwoFactorCodeForm(
        request.POST or None, label=_("6-digit code from the app"), numeric=True,
        help_text=_("After adding Backstep to the app, type the code it shows to confirm."),
    )
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = security.two_factor_confirm(user=user, code=form.cleaned_data["code"])
        except security.TwoFactorThrottled as error:
            form.add_error("code", error.messages)
        else:
            if confirmed is None:
                form.add_error("code", _("That code is not right. Check the app shows Backstep with your e-mail, "
                                         "and type the newest code."))
            else:
                confirmed_device, codes = confirmed
                _verified(request, confirmed_device)
                return no_store(render(request, "clinic/recovery_codes.html", {
                    "codes": codes, "next": next_url, "first_time": True,
                }))
    required = security.two_factor_required(user=request.user, actor=request.actor)
    return no_store(render(request, "clinic/two_factor_setup.html", {
        "form": form, "next": next_url, "required": required,
        "qr_svg": security.authenticator_qr_svg(device), "secret": security.authenticator_secret(device),
        # Someone who must set it up cannot use the rest of the app yet: no navigation to it.
        "two_factor_pending": required and not user.is_verified(),
    }))


def _security_forms(data=None, which: str | None = None):
    forms = {
        "regenerate": TwoFactorCodeForm(
            data if which == "regenerate" else None, prefix="regenerate", label=_("Current code"),
            help_text=_("A code from your authenticator app (or an unused recovery code), to confirm it is you."),
        ),
        "off": TwoFactorCodeForm(
            data if which == "off" else None, prefix="off", label=_("Current code"),
            help_text=_("A code from your authenticator app (or an unused recovery code), to confirm it is you."),
        ),
    }
    return forms


def _account_security_page(request, forms, status=200):
    user = request.user
    device = security.authenticator_get(user=user)
    return render(request, "clinic/account_security.html", {
        "device": device,
        "codes_left": security.recovery_codes_left(user=user) if device else 0,
        "required": security.two_factor_required(user=request.user, actor=request.actor),
        "regenerate_form": forms["regenerate"], "off_form": forms["off"],
        "idle_minutes": settings.STAFF_SESSION_IDLE_SECONDS // 60,
        "max_hours": settings.STAFF_SESSION_MAX_SECONDS // 3600,
    }, status=status)


@two_factor_user_required
@require_GET
def account_security(request):
    """A staff member's own sign-in security: two-factor on or off, recovery codes left."""
    return _account_security_page(request, _security_forms())


@two_factor_user_required
@require_POST
def recovery_codes_new(request):
    """New recovery codes after a fresh code; shown once, the old ones stop working."""
    if security.authenticator_get(user=request.user) is None:
        messages.info(request, _("Turn on two-factor sign-in first."))
        return redirect("account-security")
    forms = _security_forms(request.POST, "regenerate")
    form = forms["regenerate"]
    if form.is_valid() and _check_code(form, request.user) is not None:
        codes = security.recovery_codes_regenerate(user=request.user)
        return no_store(render(request, "clinic/recovery_codes.html", {"codes": codes, "first_time": False}))
    return _account_security_page(request, forms, status=400)


@two_factor_user_required
@require_POST
def two_factor_off(request):
    """Turn two-factor off after a fresh code, where it is not required."""
    forms = _security_forms(request.POST, "off")
    form = forms["off"]
    if form.is_valid() and _check_code(form, request.user) is not None:
        try:
            security.two_factor_disable(user=request.user, actor=request.actor)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Two-factor sign-in is off. You sign in with your password only."))
        return redirect("account-security")
    return _account_security_page(request, forms, status=400)
