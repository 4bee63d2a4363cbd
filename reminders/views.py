"""Reminder pages: the patient's settings (with push subscribe), the clinic's defaults, e-mail unsubscribe."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from clinic.audit import audit_note
from clinic.web import clinic_admin_required, patient_required, service_errors_to_form
from reminders import selectors, services
from reminders.forms import ClinicReminderDefaultsForm, PushSubscriptionForm, ReminderPreferenceForm
from reminders.push import push_configured


@patient_required
@require_http_methods(["GET", "POST"])
def reminder_settings(request):
    """The patient chooses which reminders, when, quiet hours and channels; this phone can subscribe to push."""
    patient = request.actor.patient
    form = ReminderPreferenceForm(request.POST or None, instance=selectors.preference_for(patient))
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_save(preference=form.instance)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Your reminder settings are saved."))
            return redirect("reminders:settings")
    return render(request, "reminders/settings.html", {
        "form": form, "vapid_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY if push_configured() else "",
        "subscriptions": selectors.push_subscription_count(patient), "has_email": bool(request.user.email),
    })


@patient_required
@require_POST
def push_subscribe(request):
    """Record this browser's push subscription (form fields endpoint, p256dh, auth) for the signed-in patient."""
    form = PushSubscriptionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    try:
        services.push_subscribe(patient=request.actor.patient, allow_http=settings.DEBUG, **form.cleaned_data)
    except ValidationError as error:
        return JsonResponse({"errors": error.message_dict}, status=400)
    return JsonResponse({"subscribed": True}, status=201)


@patient_required
@require_POST
def push_unsubscribe(request):
    """Forget this browser's push subscription (form field endpoint)."""
    form = PushSubscriptionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    removed = services.push_unsubscribe(patient=request.actor.patient, endpoint=form.cleaned_data["endpoint"])
    return JsonResponse({"removed": removed})


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a session or a CSRF token; the token is signed
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET: a confirm button (link scanners must not unsubscribe anyone); POST: e-mail reminders off, no sign-in."""
    patient = selectors.unsubscribe_patient(token)
    if patient is None:
        return render(request, "reminders/unsubscribe.html", {"token": token, "valid": False}, status=404)
    # Reached by token, signed out: the audit trail needs to be told whose preference this is.
    audit_note(request, clinic_id=patient.clinic_id, patient_id=patient.pk)
    if request.method == "GET":
        return render(request, "reminders/unsubscribe.html", {"token": token, "valid": True})
    services.email_unsubscribe(token=token)
    return render(request, "reminders/unsubscribe.html", {"done": True, "valid": True})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def clinic_defaults(request):
    """The reminders a new patient of the clinic gets until they choose their own."""
    form = ClinicReminderDefaultsForm(request.POST or None, instance=selectors.clinic_defaults(request.actor.clinic))
    if request.method == "POST" and form.is_valid():
        try:
            services.clinic_defaults_save(defaults=form.instance)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("The clinic's reminder defaults are saved."))
            return redirect("reminders:clinic-defaults")
    return render(request, "reminders/clinic_defaults.html", {"form": form})
