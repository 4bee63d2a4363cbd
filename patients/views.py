import datetime as dt

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from clinic import security
from clinic.audit import audit_narrowed, audit_note, page_of
from clinic.invitations import REFUSED, Outcome
from clinic.models import User
from clinic.search import page_search
from clinic.tenancy import get_scoped_or_404, require_patient, require_staff, scope_queryset
from clinic.web import safe_next_url
from clinic.web import service_errors_to_form as _errors_to_form
from patients import selectors, services
from patients.forms import (
    AssignForm,
    CheckInForm,
    EndPlanForm,
    FlagNoteForm,
    InvitationConfirmForm,
    InvitationExistingPasswordForm,
    InvitationPasswordForm,
    MeasurementForm,
    PatientForm,
    PhaseChangeForm,
    SessionLogForm,
    StepChangeForm,
)
from patients.models import (
    CORRECTION_WINDOW,
    SESSION_DOSE_FIELDS,
    AssignedExercise,
    Assignment,
    Flag,
    MorningCheckIn,
    Patient,
    SessionLog,
)
from patients.outbox import OTHER_ACCOUNT, OWNER_FIELD, is_outbox_owner

PATIENTS_PER_PAGE = 25
MAX_ID = 2**63 - 1


def _id_or_none(value: str) -> int | None:
    """A database id from a query or form value, or None for anything else ("²", "-1", 10**30)."""
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
FLAGS_PER_PAGE = 30


@login_required
@require_safe
def patient_list(request):
    """Therapists start here: their patients (or the whole clinic), with what needs attention."""
    from clinic.models import User

    actor = request.actor
    require_staff(actor)
    query = request.GET
    scope = query.get("scope") or ("all" if actor.is_clinic_admin else "mine")
    condition = query.get("condition", "") if query.get("condition") in ("pfp", "acl") else ""
    severity = query.get("severity", "") if query.get("severity") in ("urgent", "warning", "info") else ""
    therapist_id = _id_or_none(query.get("therapist", ""))
    sort = query.get("sort", "name") if query.get("sort") in selectors.PATIENT_SORTS else "name"
    search = page_search(query)
    patients = selectors.patient_list(actor=actor, mine_only=scope == "mine" and not therapist_id, search=search.term,
                                      condition=condition, severity=severity, therapist_id=therapist_id, sort=sort)
    page = page_of(request, patients, PATIENTS_PER_PAGE)
    audit_narrowed(request, {"scope": "mine" if scope == "mine" and not therapist_id else "all",
                             "condition": condition, "severity": severity, "therapist": therapist_id},
                   searched={"q": search.term})
    ids = [p.pk for p in page.object_list]
    today = services.clinic_today(actor.clinic)
    active = list(Assignment.objects.filter(patient_id__in=ids, status="active"))
    steps = selectors.current_steps_for_assignments(active)
    # The figure of a low-adherence flag (F1), from the same function on the same training days.
    by_assignment = selectors.recent_training_by_assignment(assignments=active, today=today) if active else {}
    adherence = {a.patient_id: by_assignment[a.pk] for a in active}
    rows = [(patient, steps.get(patient.pk, []), adherence.get(patient.pk)) for patient in page.object_list]
    return render(request, "patients/patient_list.html", {
        "page": page, "rows": rows, "scope": scope, "search": search.term, "search_error": search.error,
        "condition": condition,
        "severity": severity, "therapist": therapist_id, "sort": sort, "query": search.links_query(query),
        "therapists": User.objects.filter(memberships__clinic=actor.clinic, is_active=True).order_by("first_name"),
        "filtered": bool(search.term or condition or severity or therapist_id),
    }, status=search.status)


@login_required
@require_safe
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
@require_safe
def flag_inbox(request):
    """Open flags of the therapist's patients (admins: the clinic), urgent first."""
    actor = request.actor
    require_staff(actor)
    scope = request.GET.get("scope") or ("mine" if selectors.inbox_mine_by_default(actor) else "all")
    scope = scope if scope in ("mine", "all") else "mine"
    flags = selectors.flag_inbox(actor=actor, mine_only=scope == "mine")
    page = page_of(request, flags, FLAGS_PER_PAGE)
    audit_narrowed(request, {"scope": "mine" if scope == "mine" else "all"})
    behind = selectors.sessions_behind_flags(list(page.object_list))
    notes, more_notes = selectors.unseen_patient_notes(actor=actor, mine_only=scope == "mine")
    visits = selectors.last_page_visits(user=request.user, patient_ids=[flag.patient_id for flag in page.object_list])
    selectors.mark_new([s for sessions in behind.values() for s in sessions], visits)
    # The evidence opens by itself when the patient wrote something in it or stopped a session early.
    items = [(flag, sessions, any(s.notes or not s.completed for s in sessions))
             for flag, sessions in ((flag, behind.get(flag.pk, [])) for flag in page.object_list)]
    return render(request, "patients/flag_inbox.html", {"page": page, "items": items, "scope": scope,
                                                         "notes": notes, "more_notes": more_notes})


@login_required
@require_POST
def flag_bulk(request):
    """Act on several flags at once; each one succeeds or fails on its own."""
    actor = request.actor
    require_staff(actor)
    action = request.POST.get("action", "")
    ids = [i for i in map(_id_or_none, request.POST.getlist("flag")) if i is not None]
    if action not in FLAG_ACTIONS or not ids:
        messages.error(request, _("Tick at least one flag and choose what to do."))
        return redirect("patients:flags")
    note = FlagNoteForm(request.POST)
    if not note.is_valid():
        messages.error(request, note.problem())
        return redirect("patients:flags")
    done, problems = [], []
    today = services.clinic_today(actor.clinic)
    audit_note(request, detail={"flags": sorted(ids)[:200]})
    for flag in scope_queryset(Flag.objects.filter(pk__in=ids), actor).select_related("patient"):
        try:
            FLAG_ACTIONS[action](flag, request.user, note.cleaned_data["note"], today)
            done.append(flag.patient.full_name)
        except ValidationError as error:
            problems.append(f"{flag.patient.full_name}: {' '.join(error.messages)}")
    if done:
        messages.success(request, _("%(what)s — %(names)s") % {
            "what": FLAG_ACTION_DONE[action], "names": ", ".join(sorted(set(done)))})
    for problem in problems:
        messages.warning(request, problem)
    return _back_to(request, "patients:flags")


def _back_to(request, default: str) -> HttpResponseRedirect:
    """Redirect to the form's `next` if it is a path on this site, else to the route `default`.

    Never hands `next` to redirect(): a bare word there is taken for a route
    name, and an unknown one raised a server error.
    """
    next_url = safe_next_url(request, request.POST.get("next"))
    return HttpResponseRedirect(next_url) if next_url else redirect(default)


FLAG_ACTIONS = {
    "approve": lambda flag, user, note, today: services.flag_approve(flag=flag, user=user, today=today),
    "decline": lambda flag, user, note, today: services.flag_decline(flag=flag, user=user, note=note),
    "acknowledge": lambda flag, user, note, today: services.flag_acknowledge(flag=flag, user=user),
    "resolve": lambda flag, user, note, today: services.flag_resolve(flag=flag, user=user, note=note),
}
FLAG_ACTION_DONE = {
    "approve": _("Approved: the new step applies from today."),
    "decline": _("Step up declined."),
    "acknowledge": _("Flag acknowledged."),
    "resolve": _("Flag resolved."),
}


@login_required
@require_POST
def flag_action(request, pk: int):
    actor = request.actor
    require_staff(actor)
    flag = get_scoped_or_404(Flag.objects.select_related("patient"), actor, pk=pk)
    audit_note(request, patient_id=flag.patient_id)
    action = request.POST.get("action", "")
    if action not in FLAG_ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("patients:flags")
    note = FlagNoteForm(request.POST)
    if not note.is_valid():
        messages.error(request, note.problem())
        return redirect("patients:flags")
    name = flag.patient.full_name
    try:
        FLAG_ACTIONS[action](flag, request.user, note.cleaned_data["note"], timezone.localdate())
    except ValidationError as error:
        messages.error(request, f"{name}: {' '.join(error.messages)}")
    else:
        messages.success(request, _("%(what)s — %(names)s") % {"what": FLAG_ACTION_DONE[action], "names": name})
    return _back_to(request, "patients:flags")


# ---------------------------------------------------------------------------
# The patient's phone pages
# ---------------------------------------------------------------------------



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


WRONG_PASSWORD = _("That password is not right. If you have forgotten it, reset it from the sign-in page, "
                   "then open this link again.")


def invitation(request, token: str):
    """One-time link. A new login chooses its password; an existing login proves it is the visitor's own
    (signed in as it, or its current password) and keeps its password. The rule is clinic.invitations'."""
    try:
        invite = services.invitation_check(token)
    except services.InvitationInvalid as invalid:
        status = 404 if invalid.reason == "unknown" else 410
        return render(request, "patients/invitation_invalid.html", {"reason": invalid.reason}, status=status)
    patient = invite.patient
    # Reached by token, signed out: the audit trail needs to be told whose data this is.
    audit_note(request, clinic_id=patient.clinic_id, patient_id=patient.pk, object_id=invite.pk)
    account = selectors.invitation_account_for(invitation=invite, signed_in=request.user)
    context = {"patient": patient, "outcome": account.outcome.value}
    if account.outcome is Outcome.REFUSE:
        # Only the account's signed-in owner gets here; the wording is the same whatever the reason.
        return render(request, "patients/invitation.html", {**context, "refused": REFUSED})
    data = request.POST if request.method == "POST" else None
    if account.outcome is Outcome.CREATE:
        user = account.user or User(email=patient.email, first_name=patient.first_name, last_name=patient.last_name)
        form = InvitationPasswordForm(data, user=user)
    elif account.outcome is Outcome.PROVE:
        form = InvitationExistingPasswordForm(data)
    else:
        form = InvitationConfirmForm(data)
    if request.method == "POST" and form.is_valid():
        proven = request.user if account.outcome is Outcome.ATTACH else None
        if account.outcome is Outcome.PROVE:
            # Counted and locked out as a sign-in is (a locked-out pair gets the 429 sign-in page).
            if security.password_proves(request, user=account.user, password=form.cleaned_data["password"]):
                proven = account.user
            else:
                form.add_error("password", WRONG_PASSWORD)
        if not form.errors:
            try:
                user = services.invitation_accept(token=token, password=form.cleaned_data.get("password1"),
                                                  proven=proven)
            except services.InvitationInvalid as invalid:
                return render(request, "patients/invitation_invalid.html", {"reason": invalid.reason}, status=410)
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome! This is your plan for today."))
                return redirect("patients:today")
    return render(request, "patients/invitation.html", {**context, "form": form})


def _plan_for(request):
    actor = request.actor
    require_patient(actor)
    today = services.clinic_today(actor.clinic)
    return actor.patient, today, selectors.today_plan(patient=actor.patient, today=today)


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


@login_required
def log_session(request):
    """Log one session: prefilled from the plan; errors beside the fields; saved exactly once."""
    if request.method == "POST":
        # Validating a post needs only the plan's exercises (one query), not today's plan. Any phase's:
        # an entry queued offline before a phase change is saved, never refused.
        require_patient(request.actor)
        if refused := refuse_entry_of_another_patient(request):
            return refused
        patient, today = request.actor.patient, services.clinic_today(request.actor.clinic)
        exercises = selectors.plan_exercises(patient=patient)
        plan, conflict_with = None, None
    else:
        patient, today, plan = _plan_for(request)
        exercises = plan.exercises
        conflict_with = None
        if plan.assignment is None or not plan.exercises:
            return render(request, "patients/log_session.html", {"plan": plan, "form": None})
    if request.method == "POST":
        form = SessionLogForm(request.POST, exercises=exercises, today=today)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.session_log_create(
                    patient=patient, exercise=form.exercise_obj, date=data["date"], today=today,
                    pain_during=data["pain_during"], pain_after=data["pain_after"], completed=data["completed"],
                    rpe=data["rpe"], notes=data["notes"], client_uuid=data["client_uuid"],
                    **{name: data[name] for name in SESSION_DOSE_FIELDS},
                )
            except ValidationError as error:
                conflict = "client_uuid" in getattr(error, "message_dict", {})
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields and field != "client_uuid" else None, errors)
                if conflict:
                    conflict_with = SessionLog.objects.filter(patient=patient, client_uuid=data["client_uuid"]).first()
                if wants_json(request):
                    return JsonResponse({"errors": form.errors.get_json_data()}, status=409 if conflict else 400)
            else:
                audit_note(request, object_id=saved.session.pk)
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
    if plan is None:  # a refused post: show the page again with the plan's values and the errors
        patient, today, plan = _plan_for(request)
    prefill = {e.pk: {k: "" if v is None else str(v) for k, v in _prefill(e).items()} for e in plan.exercises}
    return render(request, "patients/log_session.html", {"plan": plan, "form": form, "prefill": prefill,
                                                         "conflict_with": conflict_with})


@login_required
@require_safe
def session_saved(request, pk: int):
    """What was recorded, and what happens next; for 24 hours, a way to correct or delete it."""
    actor = request.actor
    require_patient(actor)
    session = get_scoped_or_404(SessionLog.objects.select_related("exercise"), actor, pk=pk)
    check = None
    if session.exercise.has_ladder:  # only retro treadmill exercises are checked by the progression engine
        check = selectors.latest_checks(exercise_ids=[session.exercise_id]).get(session.exercise_id)
        if check is not None and check.updated_at < session.created_at:
            check = None  # not yet re-checked with this session
    return render(request, "patients/session_saved.html",
                  {"session": session, "check": check, "correctable": timezone.now() < session.correctable_until()})


def _own_correctable_session(request, pk: int) -> SessionLog | HttpResponse:
    """The signed-in patient's session `pk` while it may still be changed, or the response that says why not."""
    actor = request.actor
    require_patient(actor)
    session = get_scoped_or_404(SessionLog.objects.select_related("exercise__assignment"), actor, pk=pk)
    if timezone.now() >= session.correctable_until():
        messages.error(request, _("This session was logged more than 24 hours ago, so it can no longer be changed "
                                  "here. Please tell your clinic if something is wrong."))
        return redirect("patients:session-saved", pk=session.pk)
    return session


@login_required
def session_edit(request, pk: int):
    """Correct one's own session within 24 hours; the plan is checked again with the corrected values."""
    session = _own_correctable_session(request, pk)
    if isinstance(session, HttpResponse):
        return session
    if request.method == "POST" and (refused := refuse_entry_of_another_patient(request)):
        return refused
    patient, today = request.actor.patient, services.clinic_today(request.actor.clinic)
    exercise = selectors.with_current_load(AssignedExercise.objects.filter(pk=session.exercise_id)
                                           .select_related("assignment")).get()
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
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Your correction is saved."))
            return redirect("patients:session-saved", pk=session.pk)
    return render(request, "patients/log_session.html", {
        "form": form, "session": session, "prefill": {exercise.pk: {k: "" if v is None else str(v)
                                                                   for k, v in _prefill(exercise).items()}},
    })


@login_required
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


@login_required
def checkin(request):
    """How does your knee feel this morning? One tap; a second answer the same day asks first."""
    patient, today, plan = _plan_for(request)
    if request.method == "POST" and (refused := refuse_entry_of_another_patient(request)):
        return refused
    form = CheckInForm(request.POST or None, today=today)
    day = form.cleaned_data["date"] if request.method == "POST" and form.is_valid() else today
    existing = MorningCheckIn.objects.filter(patient=patient, date=day).first()
    if request.method == "POST" and form.is_valid():
        pain, key = form.cleaned_data["pain"], form.cleaned_data["client_uuid"]
        replay = MorningCheckIn.objects.filter(patient=patient, client_uuid=key).exists()
        if existing and not replay and not form.cleaned_data["confirm"] and existing.pain != pain:
            if wants_json(request):
                return JsonResponse({"errors": {"pain": [{"message": str(_("You already answered today."))}]}},
                                    status=409)
            return render(request, "patients/checkin_confirm.html",
                          {"existing": existing, "pain": pain, "client_uuid": key, "date": day})
        if not replay:
            services.checkin_record(patient=patient, date=day, today=today, pain=pain, client_uuid=key)
        messages.success(request, _("Thank you — your morning answer is saved."))
        if wants_json(request):
            return JsonResponse({"saved": True, "redirect": reverse("patients:today")}, status=200)
        return redirect("patients:today")
    if request.method == "POST" and wants_json(request):
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    return render(request, "patients/checkin.html", {"form": form, "existing": existing, "choices": range(11)})


@login_required
@require_safe
def history(request):
    """Sessions and check-ins, newest first, with a chart of pain over time."""
    patient, today, plan = _plan_for(request)
    sessions = SessionLog.objects.filter(patient=patient).select_related("exercise")
    page = page_of(request, sessions, 20)
    chart = selectors.pain_history(patient=patient, today=today)
    checkins = MorningCheckIn.objects.filter(patient=patient)[:14]
    return render(request, "patients/history.html",
                  {"page": page, "chart": chart, "checkins": checkins, "plan": plan,
                   "correctable_since": timezone.now() - CORRECTION_WINDOW})


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
        return redirect("patients:detail", pk=patient.pk)
    # The link is shown once, on this page, never kept in a message cookie or a cache.
    response = render(request, "patients/invited.html", {"patient": patient, "link": link})
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------
# The therapist's patient pages
# ---------------------------------------------------------------------------


def _staff_patient(request, pk: int) -> Patient:
    require_staff(request.actor)
    return get_scoped_or_404(Patient.objects.select_related("therapist", "clinic", "user"), request.actor, pk=pk)


@login_required
def patient_create(request):
    actor = request.actor
    require_staff(actor)
    form = PatientForm(request.POST or None, clinic=actor.clinic, initial={"therapist": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(clinic=actor.clinic, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            audit_note(request, object_id=patient.pk)
            messages.success(request, _("Patient added. Next: assign a protocol."))
            return redirect("patients:assign", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


@login_required
def patient_edit(request, pk: int):
    patient = _staff_patient(request, pk)
    form = PatientForm(request.POST or None, instance=patient, clinic=request.actor.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=Patient.objects.get(pk=patient.pk), **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Patient details saved."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@login_required
@require_safe
def patient_detail(request, pk: int):
    """The patient page: plan, charts, sessions, measurements, step history, and the actions on them."""
    return _patient_page(request, _staff_patient(request, pk))


def _patient_page(request, patient: Patient, *, status: int = 200, **refused_forms):
    """Render the patient page. A refused form comes back bound: what was typed stays, errors beside the fields.

    Opening the page (GET) records the visit: the sessions logged since the
    previous one are marked new, here and in the inbox (selectors.is_new).
    """
    today = services.clinic_today(request.actor.clinic)
    overview = selectors.patient_overview(patient=patient, today=today)
    if request.method == "GET":
        last_visit = services.patient_page_visit_record(user=request.user, patient=patient)
    else:
        last_visit = selectors.last_page_visits(user=request.user, patient_ids=[patient.pk]).get(patient.pk)
    sessions = Paginator(SessionLog.objects.filter(patient=patient).select_related("exercise"), 15) \
        .get_page(request.GET.get("page"))
    selectors.mark_new(sessions.object_list, {patient.pk: last_visit} if last_visit else {})
    forms = {
        "step_form": StepChangeForm(exercises=overview.ladder_exercises, ladders=overview.ladders),
        "phase_form": PhaseChangeForm(phases=overview.phases, current_phase_id=overview.current_phase_id),
        **_phase_readiness(patient, overview, today),
        "measurement_form": MeasurementForm(initial={"date": today}),
        "end_form": EndPlanForm(initial={"end_date": today, "status": "completed"}),
        **refused_forms,
    }
    context = {
        "overview": overview,
        "patient": patient,
        "today": today,
        "sessions": sessions,
        "last_visit": last_visit,
        "open_invitation": not patient.user_id and selectors.open_invitation_exists(patient=patient),
        "since": _since(patient, overview, today),
        **forms,
    }
    return render(request, "patients/patient_detail.html", context, status=status)


def _since(patient: Patient, overview, today: dt.date) -> str:
    if patient.condition == "acl" and patient.surgery_date:
        weeks = (today - patient.surgery_date).days // 7
        return _("%(n)s weeks since surgery") % {"n": weeks}
    if overview.assignment:
        weeks = (today - overview.assignment.start_date).days // 7
        return _("week %(n)s of the plan") % {"n": weeks + 1}
    return ""


@login_required
@require_POST
def patient_step_change(request, pk: int):
    patient = _staff_patient(request, pk)
    overview = selectors.patient_overview(patient=patient, today=services.clinic_today(request.actor.clinic))
    form = StepChangeForm(request.POST, exercises=overview.ladder_exercises, ladders=overview.ladders)
    if overview.assignment is None or overview.assignment.status != Assignment.Status.ACTIVE:
        messages.error(request, _("This patient has no running plan to change."))
    elif form.is_valid():
        exercise = next(e for e in overview.ladder_exercises if e.pk == form.cleaned_data["exercise"])
        try:
            services.step_change(exercise=exercise, step=form.cleaned_data["step"], changed_by=request.user,
                                 effective_date=services.clinic_today(request.actor.clinic),
                                 source="therapist", reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _errors_to_form(form, error)
            return _patient_page(request, patient, status=400, step_form=form)
        messages.success(request, _("Level changed. The patient sees it on today's plan."))
    else:
        return _patient_page(request, patient, status=400, step_form=form)
    return redirect(reverse("patients:detail", args=[pk]) + "#plan")


def _phase_readiness(patient: Patient, overview, today: dt.date) -> dict:
    """The phase-change form's context: each phase's entry criteria, met or not by the latest measurements."""
    readings, readiness = selectors.phase_readiness(patient=patient, phases=overview.phases, today=today)
    return {"readings": readings, "readiness": readiness}


@login_required
@require_POST
def patient_phase_change(request, pk: int):
    """Move the plan to another phase. Unmet entry criteria are shown; going ahead needs a tick and a reason.

    A refused change comes back on its own page with the criteria and what was typed.
    """
    patient = _staff_patient(request, pk)
    today = services.clinic_today(request.actor.clinic)
    overview = selectors.patient_overview(patient=patient, today=today)
    form = PhaseChangeForm(request.POST, phases=overview.phases, current_phase_id=overview.current_phase_id)
    if overview.assignment is None or overview.assignment.status != Assignment.Status.ACTIVE:
        messages.error(request, _("This patient has no running plan to change."))
        return redirect("patients:detail", pk=pk)
    if form.is_valid():
        phase = next(p for p in overview.phases if p.pk == form.cleaned_data["phase"])
        try:
            services.phase_change(assignment=overview.assignment, phase=phase, source="therapist",
                                  effective_date=today, reason=form.cleaned_data["reason"],
                                  go_ahead=form.cleaned_data["go_ahead"], changed_by=request.user)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Phase changed."))
            return redirect(reverse("patients:detail", args=[pk]) + "#plan")
    return render(request, "patients/phase_change.html",
                  {"patient": patient, "overview": overview, "phase_form": form,
                   **_phase_readiness(patient, overview, today)})


@login_required
@require_POST
def patient_measurement(request, pk: int):
    patient = _staff_patient(request, pk)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        try:
            services.measurement_record(patient=patient, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Measurements saved; the plan is re-checked with them."))
            return redirect(reverse("patients:detail", args=[pk]) + "#measurements")
    return _patient_page(request, patient, status=400, measurement_form=form)


@login_required
def patient_assign(request, pk: int):
    """Assign a protocol: the assignment freezes a snapshot of it."""
    from protocols.models import Protocol

    patient = _staff_patient(request, pk)
    protocols = scope_queryset(Protocol.objects.filter(is_archived=False, condition=patient.condition),
                               request.actor).order_by("clinic_id", "name")
    active = patient.assignments.filter(status="active").first()
    form = AssignForm(request.POST or None, protocols=protocols, patient=patient,
                      initial={"start_date": services.clinic_today(request.actor.clinic)})
    if request.method == "POST" and form.is_valid() and active is None:
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if patient.condition == "acl" and data["surgery_date"] != patient.surgery_date:
                    services.patient_update(patient=patient, surgery_date=data["surgery_date"])
                services.assignment_create(patient=patient, protocol=data["protocol"], start_date=data["start_date"],
                                           baseline_pain=data["baseline_pain"],
                                           sessions_per_week=data["sessions_per_week"], assigned_by=request.user)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Protocol assigned."))
            return redirect("patients:detail", pk=patient.pk)
    # A post while a plan is running is refused: the page says why (409, as the API answers a conflict).
    status = 409 if request.method == "POST" and active is not None else 200
    return render(request, "patients/assign.html", {"form": form, "patient": patient, "active": active},
                  status=status)


@login_required
@require_POST
def patient_end_plan(request, pk: int):
    patient = _staff_patient(request, pk)
    form = EndPlanForm(request.POST)
    active = patient.assignments.filter(status="active").first()
    if active is None:
        messages.error(request, _("This patient has no running plan to end."))
    elif form.is_valid():
        try:
            services.assignment_end(assignment=active, end_date=form.cleaned_data["end_date"],
                                    status=form.cleaned_data["status"], changed_by=request.user)
        except ValidationError as error:
            _errors_to_form(form, error)
            return _patient_page(request, patient, status=400, end_form=form)
        messages.success(request, _("The plan has ended. You can assign a new one."))
    else:
        return _patient_page(request, patient, status=400, end_form=form)
    return redirect("patients:detail", pk=pk)


@login_required
@require_POST
def patient_invite_revoke(request, pk: int):
    patient = _staff_patient(request, pk)
    count = services.invitation_revoke(patient=patient)
    if count:
        messages.success(request, _("The invitation link no longer works."))
    else:
        messages.info(request, _("There was no open invitation to revoke."))
    return redirect("patients:detail", pk=pk)


@login_required
@require_safe
def patient_handout(request, pk: int):
    """A print-friendly sheet of the current plan with its safety notes."""
    patient = _staff_patient(request, pk)
    today = services.clinic_today(request.actor.clinic)
    overview = selectors.patient_overview(patient=patient, today=today)
    return render(request, "patients/handout.html", {"overview": overview, "patient": patient, "today": today})
