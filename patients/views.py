from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from clinic.tenancy import get_scoped_or_404, require_patient, require_staff
from patients import selectors, services
from patients.models import Flag

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
