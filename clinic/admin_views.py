"""Clinic administration pages: staff, clinic settings, API keys, audit trail, failed e-mails. Clinic admins only.

Thin views: check the role, call one selector or service, shape the page.
Pages that show a secret (an API key, a password link) render it straight
into the POST response with `Cache-Control: no-store`: it never goes through
the session, a message or a redirect.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import notifications, selectors, services
from clinic.audit_labels import query_words
from clinic.filters import AuditEventFilter
from clinic.forms import CONTACT_FIELDS, ApiKeyCreateForm, ClinicSettingsForm, StaffInviteForm
from clinic.models import AuditEvent, ClinicSettings, Notification
from clinic.security import TWO_FACTOR_NOT_NEEDED_UNTIL
from clinic.web import clinic_admin_required, no_store, service_errors_to_form
from protocols.engine import DEFAULT_SETTINGS

# ---------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------


@clinic_admin_required
@require_safe
def staff_list(request):
    """The clinic's therapists and admins, with their status and last sign-in."""
    members = selectors.staff_list(actor=request.actor)
    return render(request, "clinic/staff_list.html", {"members": members, "section": "staff"})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def staff_invite(request):
    """Invite a therapist or admin: a new login gets a password link (e-mailed, and shown to copy); an existing
    login is e-mailed a link to join, and the page says the same whoever owns it (clinic.invitations)."""
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.staff_invite(
                clinic=request.actor.clinic, email=data["email"], first_name=data["first_name"],
                last_name=data["last_name"], role=data["role"], invited_by=request.user,
            )
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            member = invitation.membership
            return no_store(render(request, "clinic/staff_invited.html", {
                "name": member.user if member else invitation.email, "email": invitation.email,
                "role": invitation.role_label, "link": invitation.link, "resent": False,
                "days": services.staff_link_valid_days(), "section": "staff",
            }))
    return render(request, "clinic/staff_invite.html", {"form": form, "section": "staff"})


@clinic_admin_required
@require_POST
def staff_invite_resend(request, pk: int):
    """A fresh password link for someone who has not chosen a password yet."""
    member = selectors.staff_member_get(actor=request.actor, pk=pk)
    try:
        link = services.staff_invite_resend(membership=member, invited_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("clinic-admin:staff")
    return no_store(render(request, "clinic/staff_invited.html", {
        "name": member.user, "email": member.user.email, "role": member.get_role_display(), "link": link,
        "resent": True, "days": services.staff_link_valid_days(), "section": "staff",
    }))


STAFF_ACTIONS = {
    "deactivate": (services.staff_deactivate, gettext_lazy("%(name)s is deactivated and signed out everywhere.")),
    "reactivate": (services.staff_reactivate, gettext_lazy("%(name)s can sign in again.")),
}


def _staff_change(request, pk: int, action: str):
    """Confirm (GET), then deactivate or reactivate (POST)."""
    member = selectors.staff_member_get(actor=request.actor, pk=pk)
    if request.method == "POST":
        service, done = STAFF_ACTIONS[action]
        try:
            service(membership=member, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done % {"name": member.user})
        return redirect("clinic-admin:staff")
    patient_count = selectors.staff_patient_count(membership=member) if action == "deactivate" else 0
    return render(request, "clinic/staff_confirm.html", {
        "member": member, "action": action, "patient_count": patient_count,
        "is_self": member.user_id == request.user.pk, "section": "staff",
    })


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def staff_deactivate(request, pk: int):
    return _staff_change(request, pk, "deactivate")


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def staff_reactivate(request, pk: int):
    return _staff_change(request, pk, "reactivate")


# ---------------------------------------------------------------------------
# Clinic settings
# ---------------------------------------------------------------------------


def _settings_initial(row: ClinicSettings) -> dict:
    # Decimals for the decimal fields, so that "0.6" typed back compares equal (has_changed).
    initial = {
        name: Decimal(str(value)) if ClinicSettings.ENGINE_SETTING_NAMES.get(name) is float else value
        for name, value in (row.engine_overrides or {}).items()
    }
    initial["auto_apply_progressions"] = row.auto_apply_progressions
    initial["require_two_factor"] = row.require_two_factor
    initial.update({name: getattr(row, name) for name in CONTACT_FIELDS})
    initial["default_language"] = row.default_language
    return initial


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def clinic_settings(request):
    """How patients reach the clinic, engine threshold overrides, automatic progression and staff two-factor.

    The engine's thresholds are checked by the engine's own rules. In production
    two-factor is always required, so that switch is shown on and fixed.
    """
    row = selectors.clinic_settings_get(clinic=request.actor.clinic)
    form = ClinicSettingsForm(request.POST or None, initial=_settings_initial(row), defaults=DEFAULT_SETTINGS,
                              two_factor_always=settings.PRODUCTION)
    if request.method == "POST" and form.is_valid():
        engine_changed = bool(set(form.changed_data) - {"require_two_factor", "default_language", *CONTACT_FIELDS})
        language_changed = form.cleaned_data["default_language"] != row.default_language
        if not (set(form.changed_data) - {"default_language"} or language_changed):
            messages.info(request, _("Nothing to save: the settings are as they were."))
            return redirect("clinic-admin:settings")
        two_factor_changed = "require_two_factor" in form.changed_data  # never for the fixed (disabled) switch
        contact_changed = bool(set(form.changed_data) & set(CONTACT_FIELDS))
        try:
            services.clinic_settings_change(
                clinic=request.actor.clinic, updated_by=request.user,
                contact=form.contact() if contact_changed else None,
                engine={"engine_overrides": form.engine_overrides(),
                        "auto_apply_progressions": form.cleaned_data["auto_apply_progressions"]}
                if engine_changed else None,
                require_two_factor=form.cleaned_data["require_two_factor"] if two_factor_changed else None,
                default_language=form.cleaned_data["default_language"] if language_changed else None,
            )
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            if contact_changed:
                messages.success(request, _("Clinic contact saved. Patients see it from their next page."))
            if engine_changed:
                messages.success(request, _("Clinic settings saved. The next progression checks use them."))
            if language_changed:
                # Said in the language of the next page: the admin's own, else the default just saved.
                with translation.override(request.user.language or form.cleaned_data["default_language"]):
                    messages.success(request, _(
                        "Default language saved. Patients and staff who have not chosen their own see it from "
                        "their next page."))
            if two_factor_changed:
                # Ask again at once in this session (others are re-checked within a minute).
                request.session.pop(TWO_FACTOR_NOT_NEEDED_UNTIL, None)
            if two_factor_changed and form.cleaned_data["require_two_factor"]:
                messages.success(request, _(
                    "Two-factor sign-in is now required for staff. Anyone without an authenticator app, you "
                    "included, sets one up at their next page."))
            elif two_factor_changed:
                messages.success(request, _(
                    "Two-factor sign-in is no longer required. Staff who turned it on keep using it."))
            return redirect("clinic-admin:settings")
    return render(request, "clinic/settings.html", {
        "form": form, "row": row, "overridden": sorted(row.engine_overrides or {}), "section": "settings",
    })


# ---------------------------------------------------------------------------
# API keys
# ---------------------------------------------------------------------------


@clinic_admin_required
@require_safe
def api_key_list(request):
    """The clinic's API keys with their status; the keys themselves are never shown again."""
    keys = selectors.api_key_list(actor=request.actor, now=timezone.now())
    return render(request, "clinic/api_key_list.html", {"keys": keys, "section": "api-keys"})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def api_key_create(request):
    """Create a key and show it once, in this response only."""
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = services.api_key_create(
                clinic=request.actor.clinic, name=form.cleaned_data["name"], created_by=request.user,
                expires_days=form.cleaned_data["expires_days"],
            )
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            return no_store(render(request, "clinic/api_key_created.html",
                                   {"key": key, "raw": raw, "section": "api-keys"}))
    return render(request, "clinic/api_key_create.html", {"form": form, "section": "api-keys"})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(request, pk: int):
    """Confirm (GET), then revoke (POST): the key stops working at once."""
    key = selectors.api_key_get(actor=request.actor, pk=pk)
    if request.method == "POST":
        if key.revoked_at is not None:
            messages.info(request, _("“%(name)s” was already revoked.") % {"name": key.name})
        else:
            services.api_key_revoke(key=key)
            messages.success(request, _("“%(name)s” is revoked: requests with it are refused from now on.")
                             % {"name": key.name})
        return redirect("clinic-admin:api-keys")
    return render(request, "clinic/api_key_revoke.html", {"key": key, "section": "api-keys"})


# ---------------------------------------------------------------------------
# Audit trail
# ---------------------------------------------------------------------------

AUDIT_EVENTS_PER_PAGE = 50


@clinic_admin_required
@require_http_methods(["GET"])
def audit_log(request):
    """Every read and write of the clinic's patient data, newest first, filterable; read-only."""
    filterset = AuditEventFilter(request.GET or None, queryset=selectors.audit_event_list(actor=request.actor),
                                 request=request)
    events = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(events, AUDIT_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    labels = selectors.audit_event_labels(actor=request.actor, events=page.object_list)
    for event in page.object_list:
        event.who = (labels["keys"].get(event.api_key_id, f"#{event.api_key_id}") if event.api_key_id
                     else labels["users"].get(event.user_id, f"#{event.user_id}") if event.user_id else "")
        event.patient_name = labels["patients"].get(event.patient_id, f"#{event.patient_id}")
        shown = [row.patient_id for row in event.patients.all()][:selectors.AUDIT_NAMES_SHOWN]
        event.shown = [(pid, labels["patients"].get(pid, f"#{pid}")) for pid in shown]
        event.shown_more = max((event.patient_count or 0) - len(shown), 0)
        event.narrowed_by = query_words(event.query)
    return render(request, "clinic/audit_log.html", {
        "filter": filterset, "page": page, "query": query.urlencode(), "section": "audit", "filtered": bool(query),
        "patients_kept": AuditEvent.PATIENTS_KEPT,
    })


# ---------------------------------------------------------------------------
# Notifications: staff e-mails that could not be sent
# ---------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 50


@clinic_admin_required
@require_safe
def notification_list(request):
    """Staff e-mails that failed or wait for another attempt: when, what, to whom, how often tried.

    No patient is named here (an urgent flag's e-mail is listed by its kind only).
    """
    page = Paginator(selectors.notification_problem_list(actor=request.actor), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "clinic/notification_list.html", {
        "page": page, "max_attempts": notifications.MAX_ATTEMPTS, "section": "notifications",
    })


@clinic_admin_required
@require_POST
def notification_retry(request, pk: int):
    """Try a failed (or waiting) e-mail again now."""
    notification = selectors.notification_get(actor=request.actor, pk=pk)
    if notification.status == Notification.Status.SENT:
        messages.info(request, _("That e-mail has been sent already."))
    else:
        notifications.notification_retry(notification=notification)
        messages.success(request, _("Sending the e-mail to %(who)s again. If it fails, it is listed here again.")
                         % {"who": notification.recipient})
    return redirect("clinic-admin:notifications")
