"""The patient's phone pages: today's plan, logging and correcting a session, the morning check-in, the history,
and the invitation link that opens the account.

Entries can be replayed by the offline outbox (static/js/outbox.js), which
asks for JSON: those answers are JSON with the status the outbox reads (201
saved, 200 already saved, 400 refused, 409 conflict).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from clinic import security
from clinic.audit import audit_note, page_of
from clinic.invitations import REFUSED, Outcome
from clinic.language import activate_for_request, patient_language
from clinic.models import User
from clinic.web import patient_required, service_errors_to_form
from patients import selectors, services
from patients.forms import (
    CheckInForm,
    InvitationConfirmForm,
    InvitationExistingPasswordForm,
    InvitationPasswordForm,
    SessionLogForm,
)
from patients.models import CORRECTION_WINDOW, SESSION_DOSE_FIELDS, SessionLog
from patients.outbox import OTHER_ACCOUNT, OWNER_FIELD, is_outbox_owner
from patients.views.pwa import kept_offline

SESSIONS_IN_HISTORY = 20
WRONG_PASSWORD = _("That password is not right. If you have forgotten it, reset it from the sign-in page, "
                   "then open this link again.")


def wants_json(request) -> bool:
    """The offline outbox script replays forms with Accept: application/json."""
    return "application/json" in request.headers.get("Accept", "")


def refuse_entry_of_another_patient(request) -> HttpResponse | None:
    """A refusal when the posted entry was filled in on another patient's page; None when it is the signed-in one's.

    On a shared phone, patient A's form (a stale tab, or the outbox replaying
    it) can be posted after B signed in: saving it would put A's answers in
    B's record. Phone forms carry their patient's owner tag (patients.outbox);
    a post without one (an older page, a test client) is the signed-in
    patient's, as before. The outbox script keeps a refused entry for its
    owner; a post without JavaScript returns to a fresh form, never showing
    A's answers to B.
    """
    tag = request.POST.get(OWNER_FIELD)
    if tag is None or is_outbox_owner(request.actor.patient, tag):
        return None
    message = _("Nothing was saved: this form was filled in while someone else was signed in on this phone.")
    if wants_json(request):
        return JsonResponse({"code": OTHER_ACCOUNT, "errors": {"__all__": [{"message": str(message),
                                                                         "code": OTHER_ACCOUNT}]}}, status=409)
    messages.error(request, message)
    return redirect(request.path)


def _json_errors(form, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": form.errors.get_json_data()}, status=status)


def _patient_today(request):
    """The signed-in patient and today in their clinic."""
    return request.actor.patient, services.clinic_today(request.actor.clinic)


def _plan_for(request):
    patient, today = _patient_today(request)
    return patient, today, selectors.today_plan(patient=patient, today=today)


@kept_offline
@patient_required
@require_safe
def today(request):
    """A patient's plan for today, in plain words."""
    patient, plan_day, plan = _plan_for(request)
    checks = selectors.latest_checks(exercise_ids=[e.pk for e in plan.exercises if e.has_ladder])
    for exercise in plan.exercises:
        exercise.latest_check = checks.get(exercise.pk)
    return render(request, "patients/today.html", {"plan": plan, "patient": patient, "today": plan_day})


# ---------------------------------------------------------------------------
# Logging a session
# ---------------------------------------------------------------------------


def _prefill(exercise) -> dict:
    """The plan's values for what an exercise logs: its ladder step's load, its minutes, or its sets and reps.

    The log page's script shows only the fields in here for the chosen exercise.
    """
    if exercise is None:
        return {}
    plan = {"duration_min": exercise.step_duration or exercise.duration_min or 10,
            "speed_kmh": exercise.step_speed, "incline_pct": exercise.step_incline,
            "sets": exercise.sets, "reps": exercise.reps, "hold_seconds": exercise.hold_seconds}
    return {"exercise": exercise.pk, **{name: plan[name] for name in exercise.logged_fields}}


def _prefill_texts(exercise) -> dict[str, str]:
    """`_prefill` as the page's script reads it: text, empty for none, decimals the language's way ("3,5")."""
    return {name: "" if value is None else formats.localize_input(value) for name, value in _prefill(exercise).items()}


@kept_offline
@patient_required
def log_session(request):
    """Log one session: prefilled from the plan; errors beside the fields; saved exactly once."""
    if request.method == "POST":
        return _log_session_post(request)
    patient, today, plan = _plan_for(request)
    if plan.assignment is None or not plan.exercises:
        return render(request, "patients/log_session.html", {"plan": plan, "form": None})
    wanted = request.GET.get("exercise", "")
    chosen = next((e for e in plan.exercises if str(e.pk) == wanted), None)
    chosen = chosen or next((e for e in plan.exercises if e.has_ladder), plan.exercises[0])
    form = SessionLogForm(initial=_prefill(chosen), exercises=plan.exercises, today=today)
    return _log_session_page(request, form, plan=plan)


def _log_session_post(request) -> HttpResponse:
    # Validating a post needs only the plan's exercises (one query), not today's plan. Any phase's:
    # an entry queued offline before a phase change is saved, never refused.
    if refused := refuse_entry_of_another_patient(request):
        return refused
    patient, today = _patient_today(request)
    form = SessionLogForm(request.POST, exercises=selectors.plan_exercises(patient=patient), today=today)
    if not form.is_valid():
        return _json_errors(form) if wants_json(request) else _log_session_page(request, form)
    data = form.cleaned_data
    try:
        saved = services.session_log_create(
            patient=patient, exercise=form.exercise_obj, date=data["date"], today=today,
            pain_during=data["pain_during"], pain_after=data["pain_after"], completed=data["completed"],
            rpe=data["rpe"], notes=data["notes"], client_uuid=data["client_uuid"],
            **{name: data[name] for name in SESSION_DOSE_FIELDS},
        )
    except ValidationError as error:
        return _log_session_refused(request, form, error)
    audit_note(request, object_id=saved.session.pk)
    url = reverse("patients:session-saved", args=[saved.session.pk])
    if wants_json(request):
        return JsonResponse({"saved": True, "created": saved.created, "redirect": url},
                            status=201 if saved.created else 200)
    return redirect(url)


def _log_session_refused(request, form, error: ValidationError) -> HttpResponse:
    """The service's refusal on the form. A client UUID already used for other details (409 for the outbox)
    shows at the top, with the entry it collides with."""
    conflict = "client_uuid" in getattr(error, "message_dict", {})
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields and field != "client_uuid" else None, errors)
    if wants_json(request):
        return _json_errors(form, status=409 if conflict else 400)
    conflict_with = selectors.session_with_client_uuid(
        patient=request.actor.patient, client_uuid=form.cleaned_data["client_uuid"]) if conflict else None
    return _log_session_page(request, form, conflict_with=conflict_with)


def _log_session_page(request, form, *, plan=None, conflict_with: SessionLog | None = None) -> HttpResponse:
    if plan is None:  # a refused post: show the page again with the plan's values and the errors
        _patient, _today, plan = _plan_for(request)
    prefill = {e.pk: _prefill_texts(e) for e in plan.exercises}
    return render(request, "patients/log_session.html", {"plan": plan, "form": form, "prefill": prefill,
                                                         "conflict_with": conflict_with})


# ---------------------------------------------------------------------------
# A logged session: what happens next, and 24 hours to correct or delete it
# ---------------------------------------------------------------------------


@patient_required
@require_safe
def session_saved(request, pk: int):
    """What was recorded, and what happens next; for 24 hours, a way to correct or delete it."""
    session = selectors.own_session_get(actor=request.actor, pk=pk)
    return render(request, "patients/session_saved.html", {
        "session": session, "check": selectors.session_check(session=session),
        "correctable": timezone.now() < session.correctable_until(),
    })


def _own_correctable_session(request, pk: int) -> SessionLog | HttpResponse:
    """The signed-in patient's session `pk` while it may still be changed, or the response that says why not."""
    session = selectors.own_session_get(actor=request.actor, pk=pk)
    if timezone.now() >= session.correctable_until():
        messages.error(request, _("This session was logged more than 24 hours ago, so it can no longer be changed "
                                  "here. Please tell your clinic if something is wrong."))
        return redirect("patients:session-saved", pk=session.pk)
    return session


@patient_required
def session_edit(request, pk: int):
    """Correct one's own session within 24 hours; the plan is checked again with the corrected values."""
    session = _own_correctable_session(request, pk)
    if isinstance(session, HttpResponse):
        return session
    if request.method == "POST" and (refused := refuse_entry_of_another_patient(request)):
        return refused
    patient, today = _patient_today(request)
    exercise = selectors.exercise_with_current_load(exercise_id=session.exercise_id)
    initial = {name: getattr(session, name) for name in services.SESSION_CORRECTABLE_FIELDS}
    initial.update(exercise=exercise.pk, date=session.date.isoformat(), client_uuid=session.client_uuid,
                   completed="yes" if session.completed else "no")
    form = SessionLogForm(request.POST or None, initial=initial, exercises=[exercise], today=today,
                          also_date=session.date)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.session_log_update(patient=patient, session=session, today=today,
                                        **{name: data[name] for name in services.SESSION_CORRECTABLE_FIELDS})
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Your correction is saved."))
            return redirect("patients:session-saved", pk=session.pk)
    return render(request, "patients/log_session.html", {
        "form": form, "session": session, "prefill": {exercise.pk: _prefill_texts(exercise)},
    })


@patient_required
def session_delete(request, pk: int):
    """Delete one's own session within 24 hours (asks first); the plan is checked again without it."""
    session = _own_correctable_session(request, pk)
    if isinstance(session, HttpResponse):
        return session
    if request.method == "POST":
        if refused := refuse_entry_of_another_patient(request):
            return refused
        services.session_log_delete(patient=request.actor.patient, session=session)
        messages.success(request, _("The session is deleted."))
        return redirect("patients:history")
    return render(request, "patients/session_delete.html", {"session": session})


# ---------------------------------------------------------------------------
# The morning check-in and the history
# ---------------------------------------------------------------------------


@kept_offline
@patient_required
def checkin(request):
    """How does your knee feel this morning? One tap; a second answer the same day asks first."""
    patient, today = _patient_today(request)
    if request.method == "POST" and (refused := refuse_entry_of_another_patient(request)):
        return refused
    form = CheckInForm(request.POST or None, today=today)
    if request.method == "POST" and form.is_valid():
        return _checkin_answer(request, form, today)
    if request.method == "POST" and wants_json(request):
        return _json_errors(form)
    return render(request, "patients/checkin.html", {
        "form": form, "existing": selectors.checkin_on(patient=patient, date=today), "choices": range(11),
    })


def _checkin_answer(request, form, today) -> HttpResponse:
    """Save a valid answer, or ask first when it would replace a different one (409 for the outbox)."""
    data = form.cleaned_data
    try:
        services.checkin_answer(patient=request.actor.patient, date=data["date"], today=today, pain=data["pain"],
                                client_uuid=data["client_uuid"], confirmed=data["confirm"])
    except services.CheckInNeedsConfirmation as unconfirmed:
        if wants_json(request):
            return JsonResponse({"errors": {"pain": [{"message": str(_("You already answered today."))}]}},
                                status=409)
        return render(request, "patients/checkin_confirm.html", {
            "existing": unconfirmed.existing, "pain": data["pain"], "client_uuid": data["client_uuid"],
            "date": data["date"]})
    messages.success(request, _("Thank you — your morning answer is saved."))
    if wants_json(request):
        return JsonResponse({"saved": True, "redirect": reverse("patients:today")}, status=200)
    return redirect("patients:today")


@kept_offline
@patient_required
@require_safe
def history(request):
    """Sessions and check-ins, newest first, with a chart of pain over time."""
    patient, today, plan = _plan_for(request)
    page = page_of(request, selectors.patient_sessions(patient=patient), SESSIONS_IN_HISTORY)
    return render(request, "patients/history.html", {
        "page": page, "chart": selectors.pain_history(patient=patient, today=today),
        "checkins": selectors.recent_checkins(patient=patient), "plan": plan,
        "correctable_since": timezone.now() - CORRECTION_WINDOW,
    })


# ---------------------------------------------------------------------------
# The invitation link
# ---------------------------------------------------------------------------


def invitation(request, token: str):
    """One-time link. A new login chooses its password; an existing login proves it is the visitor's own
    (signed in as it, or its current password) and keeps its password. The rule is clinic.invitations'."""
    try:
        invite = selectors.invitation_check(token)
    except selectors.InvitationInvalid as invalid:
        status = 404 if invalid.reason == "unknown" else 410
        return render(request, "patients/invitation_invalid.html", {"reason": invalid.reason}, status=status)
    patient = invite.patient
    # Signed out, but the token names the invitee: the page speaks the language their invitation e-mail did
    # (clinic/language.py; LocaleMiddleware then says so in Content-Language).
    activate_for_request(request, patient_language(patient))
    # Reached by token, signed out: the audit trail needs to be told whose data this is.
    audit_note(request, clinic_id=patient.clinic_id, patient_id=patient.pk, object_id=invite.pk)
    account = selectors.invitation_account_for(invitation=invite, signed_in=request.user)
    context = {"patient": patient, "outcome": account.outcome.value}
    if account.outcome is Outcome.REFUSE:
        # Only the account's signed-in owner gets here; the wording is the same whatever the reason.
        return render(request, "patients/invitation.html", {**context, "refused": REFUSED})
    form = _invitation_form(account, patient, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        accepted = _invitation_accept(request, token, account, form)
        if accepted is not None:
            return accepted
    return render(request, "patients/invitation.html", {**context, "form": form})


def _invitation_form(account, patient, data):
    """What the visitor fills in: a new password, the existing account's password, or a confirmation."""
    if account.outcome is Outcome.CREATE:
        # The password validators compare the new password with the account's names and address.
        user = account.user or User(email=patient.email, first_name=patient.first_name, last_name=patient.last_name)
        return InvitationPasswordForm(data, user=user)
    if account.outcome is Outcome.PROVE:
        return InvitationExistingPasswordForm(data)
    return InvitationConfirmForm(data)


def _invitation_accept(request, token: str, account, form) -> HttpResponse | None:
    """Accept the invitation and sign the visitor in; None when the form now carries the error to show."""
    proven = request.user if account.outcome is Outcome.ATTACH else None
    if account.outcome is Outcome.PROVE:
        # Counted and locked out as a sign-in is (a locked-out pair gets the 429 sign-in page).
        if not security.password_proves(request, user=account.user, password=form.cleaned_data["password"]):
            form.add_error("password", WRONG_PASSWORD)
            return None
        proven = account.user
    try:
        user = services.invitation_accept(token=token, password=form.cleaned_data.get("password1"), proven=proven)
    except selectors.InvitationInvalid as invalid:
        return render(request, "patients/invitation_invalid.html", {"reason": invalid.reason}, status=410)
    except ValidationError as error:
        form.add_error(None, " ".join(error.messages))
        return None
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Welcome! This is your plan for today."))
    return redirect("patients:today")
