"""The load-ladder pages of the protocol builder: generate and preview a ladder, save it, edit one step by hand.

Like every builder page: staff only, rows fetched through the tenancy
helpers (other clinics' are 404), built-in protocols read-only (403).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _

from clinic.tenancy import get_scoped_or_404
from clinic.web import service_errors_to_form, staff_required
from protocols import selectors, services
from protocols.forms import LadderSpecForm, LadderStepForm
from protocols.ladder import Load, ladder_spec_default, ladder_spec_from_ladder, review_ladder
from protocols.models import LadderStep
from protocols.views import detail_at, exercise_to_edit, require_editable


@staff_required
def ladder(request, pk: int, exercise_pk: int):
    """Generate a ladder: preview it (nothing saved), then save exactly what was previewed."""
    exercise = exercise_to_edit(request, pk, exercise_pk)
    if not exercise.template.has_ladder:
        raise PermissionDenied(_("Only retro treadmill walks and runs have a load ladder."))
    max_incline = selectors.max_auto_incline_pct(request.actor)
    preview = None
    if request.method == "POST":
        form = LadderSpecForm(request.POST, max_incline=max_incline)
        if form.is_valid():
            spec = form.spec()
            fingerprint = LadderSpecForm.fingerprint(spec)
            try:
                loads = services.ladder_generate(spec=spec)
            except ValidationError as error:
                service_errors_to_form(form, error)
            else:
                if request.POST.get("action") == "save" and form.cleaned_data["previewed"] == fingerprint:
                    services.ladder_save(exercise=exercise, spec=spec)
                    messages.success(request, _("Ladder saved: %(n)s steps.") % {"n": len(loads)})
                    return detail_at(pk, f"exercise-{exercise.pk}")
                if request.POST.get("action") == "save":
                    messages.warning(request, _("The values changed since the preview. "
                                                "Check this preview, then save."))
                preview = selectors.preview_rows(loads, max_incline)
                data = request.POST.copy()
                data["previewed"] = fingerprint
                form = LadderSpecForm(data, max_incline=max_incline)
                form.is_valid()
    steps = list(exercise.ladder_steps.order_by("order"))
    prefill = "ladder" if request.GET.get("from") == "ladder" and steps else "template"
    if request.method != "POST":
        if prefill == "ladder":
            loads = [Load(step.speed_kmh, step.incline_pct, step.duration_min) for step in steps]
            spec = ladder_spec_from_ladder(template=exercise.template, loads=loads)
        else:
            spec = ladder_spec_default(exercise.template)
        form = LadderSpecForm(initial=dict(spec.__dict__), max_incline=max_incline)
    return render(request, "protocols/ladder_form.html", {
        "form": form, "protocol": exercise.phase.protocol, "exercise": exercise, "preview": preview,
        "current": selectors.ladder_rows(steps, max_incline), "max_incline": max_incline, "prefill": prefill,
    })


@staff_required
def step_edit(request, pk: int, step_pk: int):
    """Edit one ladder step by hand; steps the engine will hold before are saved, and marked."""
    step = get_scoped_or_404(
        LadderStep.objects.select_related("exercise__phase__protocol", "exercise__template"), request.actor,
        pk=step_pk, exercise__phase__protocol_id=pk,
    )
    exercise = step.exercise
    require_editable(exercise.phase.protocol)
    max_incline = selectors.max_auto_incline_pct(request.actor)
    neighbours = selectors.ladder_step_context(step)
    form = LadderStepForm(request.POST or None, instance=step, max_incline=max_incline)
    if request.method == "POST" and form.is_valid():
        try:
            services.ladder_step_update(step=step, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Step %(n)s saved: %(load)s.") % {"n": step.order + 1, "load": step.in_words})
            around = [s for s in (neighbours["previous"], step, neighbours["next"]) if s is not None]
            reviews = review_ladder([Load(s.speed_kmh, s.incline_pct, s.duration_min) for s in around], max_incline)
            for row, review in zip(around, reviews):
                if row is not neighbours["previous"] and review.needs_override:
                    messages.warning(request, _("Step %(n)s needs a therapist override: the engine will hold "
                                                "before it until you approve.") % {"n": row.order + 1})
            return detail_at(pk, f"exercise-{exercise.pk}")
    return render(request, "protocols/step_form.html", {
        "form": form, "step": step, "exercise": exercise, "protocol": exercise.phase.protocol,
        **neighbours,
    })
