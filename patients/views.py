from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from clinic.tenancy import get_scoped_or_404, require_patient, require_staff
from clinic.models import User
from patients import selectors, services
from patients.forms import CheckInForm, InvitationPasswordForm, SessionLogForm
from patients.models import Flag, MorningCheckIn, Patient, SessionLog

PATIENTS_PER_PAGE = 25
FLAGS_PER_PAGE = 30


@login_required
def patient_list(request):
    """Therapists start here: their patients (or the whole clinic), with what needs attention."""
    actor = request.actor
    require_staff(actor)
    scope = request.GET.get("scope") or ("all" if actor.is_clinic_admin else "mine")
    search = request.GET.get("q", "")
    patients = selectors.patient_list(actor=actor, mine_only=scope == "mine", search=search)
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    steps = selectors.current_steps_for_patients([p.pk for p in page.object_list])
    rows = [(patient, steps.get(patient.pk, [])) for patient in page.object_list]
    return render(
        request,
        "patients/patient_list.html",
        {"page": page, "rows": rows, "scope": scope, "search": search},
    )


@login_required
def today(request):
    """A patient's plan for today, in plain words."""
    actor = request.actor
    require_patient(actor)
    plan = selectors.today_plan(patient=actor.patient, today=timezone.localdate())
    checks = selectors.latest_checks(exercise_ids=[e.pk for e in plan.exercises if e.has_ladder])
    for exercise in plan.exercises:
        exercise.latest_check = checks.get(exercise.pk)
    return render(request, "patients/today.html", {"plan": plan, "patient": actor.patient})


@login_required
def flag_inbox(request):
    """Open flags of the therapist's patients (admins: the clinic), urgent first."""
    actor = request.actor
    require_staff(actor)
    scope = request.GET.get("scope") or ("all" if actor.is_clinic_admin else "mine")
    flags = selectors.flag_inbox(actor=actor, mine_only=scope == "mine")
    page = Paginator(flags, FLAGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "patients/flag_inbox.html", {"page": page, "scope": scope})


FLAG_ACTIONS = {
    "approve": lambda flag, user, note, today: services.flag_approve(flag=flag, user=user, today=today),
    "decline": lambda flag, user, note, today: services.flag_decline(flag=flag, user=user, note=note),
    "acknowledge": lambda flag, user, note, today: services.flag_acknowledge(flag=flag, user=user),
    "resolve": lambda flag, user, note, today: services.flag_resolve(flag=flag, user=user, note=note),
}
FLAG_ACTION_DONE = {
    "approve": _("Approved: the new step applies from today."),
    "decline": _("Suggestion declined."),
    "acknowledge": _("Flag acknowledged."),
    "resolve": _("Flag resolved."),
}


@login_required
@require_POST
def flag_action(request, pk: int):
    actor = request.actor
    require_staff(actor)
    flag = get_scoped_or_404(Flag.objects.all(), actor, pk=pk)
    action = request.POST.get("action", "")
    if action not in FLAG_ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("patients:flags")
    try:
        FLAG_ACTIONS[action](flag, request.user, request.POST.get("note", ""), timezone.localdate())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, FLAG_ACTION_DONE[action])
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return redirect(next_url or "patients:flags")


# ---------------------------------------------------------------------------
# The patient's phone pages
# ---------------------------------------------------------------------------



def wants_json(request) -> bool:
    """The offline outbox script replays forms with Accept: application/json."""
    return "application/json" in request.headers.get("Accept", "")


def invitation(request, token: str):
    """One-time link: choose a password, then straight to today's plan."""
    try:
        invite = services.invitation_check(token)
    except services.InvitationInvalid as invalid:
        status = 404 if invalid.reason == "unknown" else 410
        return render(request, "patients/invitation_invalid.html", {"reason": invalid.reason}, status=status)
    patient = invite.patient
    user = patient.user or User(email=patient.email, first_name=patient.first_name, last_name=patient.last_name)
    form = InvitationPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["password1"])
        except services.InvitationInvalid as invalid:
            return render(request, "patients/invitation_invalid.html", {"reason": invalid.reason}, status=410)
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! This is your plan for today."))
            return redirect("patients:today")
    return render(request, "patients/invitation.html", {"form": form, "patient": patient})


def _plan_for(request):
    actor = request.actor
    require_patient(actor)
    today = services.clinic_today(actor.clinic)
    return actor.patient, today, selectors.today_plan(patient=actor.patient, today=today)


def _prefill(exercise) -> dict:
    """The plan's values for an exercise: its current ladder step, or its duration."""
    if exercise is None:
        return {}
    values = {"exercise": exercise.pk, "duration_min": exercise.step_duration or exercise.duration_min or 10}
    if exercise.step_speed is not None:
        values.update(speed_kmh=exercise.step_speed, incline_pct=exercise.step_incline)
    return values


@login_required
def log_session(request):
    """Log one session: prefilled from the plan; errors beside the fields; saved exactly once."""
    patient, today, plan = _plan_for(request)
    if plan.assignment is None or not plan.exercises:
        return render(request, "patients/log_session.html", {"plan": plan, "form": None})
    if request.method == "POST":
        form = SessionLogForm(request.POST, exercises=plan.exercises, today=today)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.session_log_create(
                    patient=patient, exercise=form.exercise_obj, date=data["date"], today=today,
                    duration_min=data["duration_min"], pain_during=data["pain_during"],
                    pain_after=data["pain_after"], completed=data["completed"], speed_kmh=data["speed_kmh"],
                    incline_pct=data["incline_pct"], rpe=data["rpe"], notes=data["notes"],
                    client_uuid=data["client_uuid"],
                )
            except ValidationError as error:
                conflict = "client_uuid" in getattr(error, "message_dict", {})
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields and field != "client_uuid" else None, errors)
                if wants_json(request):
                    return JsonResponse({"errors": form.errors.get_json_data()}, status=409 if conflict else 400)
            else:
                url = reverse("patients:session-saved", args=[saved.session.pk])
                if wants_json(request):
                    return JsonResponse({"saved": True, "created": saved.created, "redirect": url},
                                        status=201 if saved.created else 200)
                return redirect(url)
        elif wants_json(request):
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    else:
        wanted = request.GET.get("exercise", "")
        chosen = next((e for e in plan.exercises if str(e.pk) == wanted), None)
        chosen = chosen or next((e for e in plan.exercises if e.has_ladder), plan.exercises[0])
        form = SessionLogForm(initial=_prefill(chosen), exercises=plan.exercises, today=today)
    prefill = {e.pk: {k: str(v) for k, v in _prefill(e).items()} for e in plan.exercises}
    return render(request, "patients/log_session.html", {"plan": plan, "form": form, "prefill": prefill})


@login_required
def session_saved(request, pk: int):
    """What was recorded, and what happens next."""
    actor = request.actor
    require_patient(actor)
    session = get_scoped_or_404(SessionLog.objects.select_related("exercise"), actor, pk=pk)
    check = selectors.latest_checks(exercise_ids=[session.exercise_id]).get(session.exercise_id)
    if check is not None and check.updated_at < session.created_at:
        check = None  # not yet re-checked with this session
    return render(request, "patients/session_saved.html", {"session": session, "check": check})


@login_required
def checkin(request):
    """How does your knee feel this morning? One tap; a second answer the same day asks first."""
    patient, today, plan = _plan_for(request)
    existing = MorningCheckIn.objects.filter(patient=patient, date=today).first()
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pain, key = form.cleaned_data["pain"], form.cleaned_data["client_uuid"]
        replay = existing is not None and existing.client_uuid == key
        if existing and not replay and not form.cleaned_data["confirm"] and existing.pain != pain:
            if wants_json(request):
                return JsonResponse({"errors": {"pain": [{"message": str(_("You already answered today."))}]}},
                                    status=409)
            return render(request, "patients/checkin_confirm.html",
                          {"existing": existing, "pain": pain, "client_uuid": key})
        if not replay:
            services.checkin_record(patient=patient, date=today, today=today, pain=pain, client_uuid=key)
        messages.success(request, _("Thank you — your morning answer is saved."))
        if wants_json(request):
            return JsonResponse({"saved": True, "redirect": reverse("patients:today")}, status=200)
        return redirect("patients:today")
    if request.method == "POST" and wants_json(request):
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    return render(request, "patients/checkin.html", {"form": form, "existing": existing, "choices": range(11)})


@login_required
def history(request):
    """Sessions and check-ins, newest first, with a chart of pain over time."""
    patient, today, plan = _plan_for(request)
    sessions = SessionLog.objects.filter(patient=patient).select_related("exercise")
    page = Paginator(sessions, 20).get_page(request.GET.get("page"))
    chart = selectors.pain_history(patient=patient, today=today)
    checkins = MorningCheckIn.objects.filter(patient=patient)[:14]
    return render(request, "patients/history.html",
                  {"page": page, "chart": chart, "checkins": checkins, "plan": plan})


@login_required
@require_POST
def patient_invite(request, pk: int):
    """Staff send a patient a one-time link to set a password (the link is also shown, to copy)."""
    actor = request.actor
    require_staff(actor)
    patient = get_scoped_or_404(Patient.objects.all(), actor, pk=pk)
    try:
        _invitation, link = services.invitation_create(patient=patient, created_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Invitation e-mailed to %(email)s. The link, valid for 7 days: %(link)s")
                         % {"email": patient.email, "link": link})
    return redirect(reverse("patients:list") + "?scope=all")
