from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from clinic.tenancy import require_patient, require_staff
from patients import selectors

PATIENTS_PER_PAGE = 25


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
    return render(request, "patients/today.html", {"plan": plan, "patient": actor.patient})
