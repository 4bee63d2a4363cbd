"""Joining by code or QR: the therapist shows a one-time code, the patient types or scans it and sets a password.

The rules (15 minutes, single use, lockout after wrong guesses) are
`patients.services.join_codes`; these pages show the code and walk the
patient through it in two steps: the code, then the password.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.audit import audit_note
from clinic.clock import clinic_now
from clinic.language import activate_for_patient
from clinic.models import User
from clinic.qr import qr_svg
from clinic.request_identity import client_ip
from clinic.web import no_store, service_errors_to_form, staff_required
from patients import selectors, services
from patients.forms import JoinCodeForm, JoinPasswordForm
from patients.services.join_codes import JOIN_CODE_MINUTES, LOCKOUT_SECONDS

SESSION_KEY = "join_code_id"
REFUSALS = {
    "unknown": _("That code is not right. Check it on the therapist's screen and type it again."),
    "expired": _("That code has expired. Ask your therapist for a new one."),
    "used": _("That code was already used. Ask your therapist for a new one."),
    "activated": _("You have already joined: sign in with your e-mail and password."),
    "locked": _("Too many wrong codes. Wait %(minutes)d minutes, or ask your therapist for help.")
    % {"minutes": LOCKOUT_SECONDS // 60},
}


@staff_required
@require_POST
def patient_join_code(request, pk: int):
    """A new one-time code and its QR code, shown large for the patient's phone; the previous code stops working."""
    patient = selectors.patient_get(actor=request.actor, pk=pk)
    try:
        join_code, code = services.join_code_create(patient=patient, created_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("patients:detail", pk=patient.pk)
    url = f"{settings.SITE_URL}{reverse('patients:join')}?code={code}"
    # Shown once, on this page: never kept in a message cookie, a cache or the browser's history cache.
    return no_store(render(request, "patients/join_code.html", {
        "patient": patient, "code": code, "url": url, "minutes": JOIN_CODE_MINUTES,
        "until": f"{clinic_now(patient.clinic, join_code.expires_at):%H:%M}",  # the clinic's wall clock
        "qr": join_qr(url),
    }))


def join_qr(url: str):
    """The join link as a QR code that fills its column (large enough for a phone camera across a desk)."""
    return qr_svg(url, title=str(_("QR code to join Backstep on your phone")), css_class="bs-qr bs-qr-join",
                  scalable=True)


@require_http_methods(["GET", "POST"])
def join(request):
    """Step 1 on the phone (signed out): the code, typed or filled in from the QR code's link."""
    form = JoinCodeForm(request.POST or None, initial={"code": request.GET.get("code", "")[:20]})
    if request.method == "POST" and form.is_valid():
        try:
            join_code = services.join_code_check(code=form.cleaned_data["code"], address=client_ip(request))
        except services.JoinRefused as refused:
            form.add_error("code", REFUSALS[refused.reason])
            status = 429 if refused.reason == "locked" else 200
            return no_store(render(request, "patients/join.html", {"form": form}, status=status))
        request.session[SESSION_KEY] = join_code.pk
        return redirect("patients:join-password")
    return no_store(render(request, "patients/join.html", {"form": form}))


@require_http_methods(["GET", "POST"])
def join_password(request):
    """Step 2: choose a password (and the e-mail to sign in with, when the clinic has none); then signed in."""
    join_code = selectors.join_code_open(request.session.get(SESSION_KEY))
    if join_code is None:  # no code accepted in this browser (or it has expired or been used since)
        return no_store(render(request, "patients/join_password.html", {"no_code": True}, status=403))
    patient = join_code.patient
    # Signed out, but the accepted code names the patient: this page speaks their language, as the
    # invitation page does.
    activate_for_patient(request, patient)
    audit_note(request, clinic_id=patient.clinic_id, patient_id=patient.pk, object_id=join_code.pk)
    needs_email = not patient.email
    user = patient.user or User(email=patient.email, first_name=patient.first_name, last_name=patient.last_name)
    form = JoinPasswordForm(request.POST or None, user=user, needs_email=needs_email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.join_code_redeem(join_code_id=join_code.pk, password=form.cleaned_data["password1"],
                                             email=form.cleaned_data.get("email", ""))
        except services.JoinRefused as refused:
            request.session.pop(SESSION_KEY, None)
            messages.error(request, REFUSALS[refused.reason])
            return redirect("patients:join")
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! This is your plan for today."))
            return redirect("patients:today")
    return no_store(render(request, "patients/join_password.html", {"form": form, "patient": patient}))
