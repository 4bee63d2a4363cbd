"""The therapist's exercise library and protocol builder: thin views over forms, selectors and services.

Staff only (therapists and clinic admins); patients get 403. Every object is
fetched through `clinic.tenancy.get_scoped_or_404`, so other clinics' rows are
404. Built-in rows are read-only: editing one is 403 (clone it instead).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from clinic.search import page_search
from clinic.tenancy import get_scoped_or_404
from clinic.web import service_errors_to_form, staff_required
from protocols import selectors, services
from protocols.forms import (
    ExerciseTemplateForm,
    PhaseForm,
    PrescribedExerciseForm,
    ProtocolForm,
)
from protocols.ladder import (
    SPEC_TO_TEMPLATE,
    LadderSpec,
)
from protocols.models import (
    Condition,
    ExerciseKind,
    ExerciseTemplate,
    Phase,
    PrescribedExercise,
    Protocol,
)

TEMPLATES_PER_PAGE = 25
PROTOCOLS_PER_PAGE = 25


def require_editable(row) -> None:
    """403 for a built-in template or protocol: clinics clone them to edit."""
    if row.is_builtin:
        raise PermissionDenied(_("Built-in rows are read-only: clone one to edit it."))


# ---------------------------------------------------------------------------
# Exercise library
# ---------------------------------------------------------------------------


@staff_required
@require_safe
def library(request):
    """Built-in and clinic exercise templates, filtered by kind, origin and a search."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in ExerciseKind.values else ""
    origin = request.GET.get("origin", "")
    origin = origin if origin in selectors.TEMPLATE_ORIGINS else ""
    search = page_search(request.GET)
    templates = selectors.template_list(actor=request.actor, kind=kind, origin=origin, search=search.term)
    page = Paginator(templates, TEMPLATES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "protocols/library.html", {
        "page": page, "kind": kind, "origin": origin, "search": search.term, "search_error": search.error,
        "kinds": ExerciseKind.choices, "filtered": bool(kind or origin or search.term),
        "query": search.links_query(request.GET),
    }, status=search.status)


@staff_required
@require_safe
def template_detail(request, pk: int):
    template = selectors.template_detail(actor=request.actor, pk=pk)
    max_incline = selectors.max_auto_incline_pct(request.actor)
    return render(request, "protocols/template_detail.html", {
        "template": template, "preview": selectors.template_ladder_preview(template, max_incline),
        "max_incline": max_incline,
    })


def _template_form_page(request, form, template=None):
    return render(request, "protocols/template_form.html", {"form": form, "template": template})


@staff_required
def template_create(request):
    max_incline = selectors.max_auto_incline_pct(request.actor)
    # Ladder fields start at the rule defaults (progression-rules.md); other kinds ignore them.
    defaults = LadderSpec()
    initial = {name: getattr(defaults, spec_name) for spec_name, name in SPEC_TO_TEMPLATE.items()}
    form = ExerciseTemplateForm(request.POST or None, max_incline=max_incline, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_create(clinic=request.actor.clinic, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Exercise template “%(name)s” created.") % {"name": template.name})
            return redirect("protocols:template-detail", pk=template.pk)
    return _template_form_page(request, form)


@staff_required
def template_edit(request, pk: int):
    template = get_scoped_or_404(ExerciseTemplate.objects.all(), request.actor, pk=pk)
    require_editable(template)
    max_incline = selectors.max_auto_incline_pct(request.actor)
    form = ExerciseTemplateForm(request.POST or None, instance=template, max_incline=max_incline)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_update(template=template, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Exercise template saved. Ladders already in protocols keep their steps."))
            return redirect("protocols:template-detail", pk=template.pk)
    return _template_form_page(request, form, template)


@staff_required
@require_POST
def template_clone(request, pk: int):
    template = get_scoped_or_404(ExerciseTemplate.objects.all(), request.actor, pk=pk)
    clone = services.template_clone(template=template, clinic=request.actor.clinic)
    messages.success(request, _("Copied into your clinic's library. Adjust it below."))
    return redirect("protocols:template-edit", pk=clone.pk)


# ---------------------------------------------------------------------------
# Protocols
# ---------------------------------------------------------------------------


@staff_required
@require_safe
def protocol_list(request):
    """Built-in and clinic protocols; archived ones only when asked for."""
    condition = request.GET.get("condition", "")
    condition = condition if condition in Condition.values else ""
    show_archived = request.GET.get("archived") == "1"
    search = page_search(request.GET)
    protocols = selectors.protocol_list(actor=request.actor, condition=condition, show_archived=show_archived,
                                        search=search.term)
    page = Paginator(protocols, PROTOCOLS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "protocols/protocol_list.html", {
        "page": page, "condition": condition, "show_archived": show_archived, "search": search.term,
        "search_error": search.error, "conditions": Condition.choices,
        "filtered": bool(condition or search.term), "query": search.links_query(request.GET),
    }, status=search.status)


@staff_required
def protocol_create(request):
    """Start an empty protocol, or pick a built-in one to clone."""
    form = ProtocolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            protocol = services.protocol_create(clinic=request.actor.clinic, created_by=request.user,
                                                **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Protocol created. Add its first phase."))
            return redirect("protocols:phase-add", pk=protocol.pk)
    builtins = selectors.protocol_choices_to_clone(actor=request.actor)
    return render(request, "protocols/protocol_form.html", {"form": form, "builtins": builtins})


@staff_required
@require_safe
def protocol_detail(request, pk: int):
    protocol = selectors.protocol_detail(actor=request.actor, pk=pk)
    return render(request, "protocols/protocol_detail.html",
                  {"protocol": protocol, "editable": not protocol.is_builtin})


@staff_required
def protocol_edit(request, pk: int):
    protocol = get_scoped_or_404(Protocol.objects.all(), request.actor, pk=pk)
    require_editable(protocol)
    form = ProtocolForm(request.POST or None, instance=protocol)
    if request.method == "POST" and form.is_valid():
        try:
            services.protocol_update(protocol=protocol, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Protocol details saved."))
            return redirect("protocols:detail", pk=protocol.pk)
    return render(request, "protocols/protocol_form.html", {"form": form, "protocol": protocol})


@staff_required
@require_POST
def protocol_clone(request, pk: int):
    source = get_scoped_or_404(Protocol.objects.all(), request.actor, pk=pk)
    clone = services.protocol_clone(protocol=source, clinic=request.actor.clinic, created_by=request.user)
    messages.success(request, _("Copied into your clinic. This copy is yours to edit."))
    return redirect("protocols:detail", pk=clone.pk)


@staff_required
@require_POST
def protocol_archive(request, pk: int):
    protocol = get_scoped_or_404(Protocol.objects.all(), request.actor, pk=pk)
    services.protocol_archive(protocol=protocol)
    messages.success(request, _("Protocol archived: it can no longer be assigned. Running plans are not affected."))
    return redirect("protocols:detail", pk=protocol.pk)


@staff_required
@require_POST
def protocol_restore(request, pk: int):
    protocol = get_scoped_or_404(Protocol.objects.all(), request.actor, pk=pk)
    services.protocol_restore(protocol=protocol)
    messages.success(request, _("Protocol restored: it can be assigned again."))
    return redirect("protocols:detail", pk=protocol.pk)


@staff_required
def protocol_delete(request, pk: int):
    protocol = selectors.protocol_detail(actor=request.actor, pk=pk)
    require_editable(protocol)
    if request.method == "POST":
        try:
            services.protocol_delete(protocol=protocol)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("protocols:detail", pk=protocol.pk)
        messages.success(request, _("Protocol “%(name)s” deleted.") % {"name": protocol.name})
        return redirect("protocols:list")
    return render(request, "protocols/confirm_remove.html", {
        "protocol": protocol, "what": "protocol", "action": reverse("protocols:delete", args=[protocol.pk]),
    })


# ---------------------------------------------------------------------------
# Phases
# ---------------------------------------------------------------------------


def _phase(request, pk: int, phase_pk: int) -> Phase:
    phase = get_scoped_or_404(Phase.objects.select_related("protocol"), request.actor, pk=phase_pk, protocol_id=pk)
    require_editable(phase.protocol)
    return phase


def detail_at(protocol_pk: int, anchor: str):
    """Back to the protocol page, scrolled to the phase or exercise just changed."""
    return redirect(reverse("protocols:detail", args=[protocol_pk]) + f"#{anchor}")


@staff_required
def phase_add(request, pk: int):
    protocol = get_scoped_or_404(Protocol.objects.all(), request.actor, pk=pk)
    require_editable(protocol)
    form = PhaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phase = services.phase_add(protocol=protocol, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Phase added. Now add its exercises."))
            return detail_at(protocol.pk, f"phase-{phase.pk}")
    return render(request, "protocols/phase_form.html", {"form": form, "protocol": protocol})


@staff_required
def phase_edit(request, pk: int, phase_pk: int):
    phase = _phase(request, pk, phase_pk)
    form = PhaseForm(request.POST or None, instance=phase)
    if request.method == "POST" and form.is_valid():
        try:
            services.phase_update(phase=phase, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Phase saved."))
            return detail_at(pk, f"phase-{phase.pk}")
    return render(request, "protocols/phase_form.html", {"form": form, "protocol": phase.protocol, "phase": phase})


@staff_required
def phase_remove(request, pk: int, phase_pk: int):
    phase = _phase(request, pk, phase_pk)
    if request.method == "POST":
        services.phase_remove(phase=phase)
        messages.success(request, _("Phase “%(name)s” removed.") % {"name": phase.name})
        return redirect("protocols:detail", pk=pk)
    return render(request, "protocols/confirm_remove.html", {
        "protocol": phase.protocol, "phase": phase, "what": "phase",
        "exercises": phase.exercises.select_related("template"),
        "action": reverse("protocols:phase-remove", args=[pk, phase.pk]),
    })


@staff_required
@require_POST
def phase_move(request, pk: int, phase_pk: int):
    phase = _phase(request, pk, phase_pk)
    try:
        services.phase_move(phase=phase, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return detail_at(pk, f"phase-{phase.pk}")


# ---------------------------------------------------------------------------
# Prescribed exercises
# ---------------------------------------------------------------------------


def exercise_to_edit(request, pk: int, exercise_pk: int) -> PrescribedExercise:
    """A prescribed exercise of the actor's own protocol `pk` (404 for other clinics', 403 for built-ins)."""
    exercise = get_scoped_or_404(
        PrescribedExercise.objects.select_related("phase__protocol", "template"), request.actor,
        pk=exercise_pk, phase__protocol_id=pk,
    )
    require_editable(exercise.phase.protocol)
    return exercise


@staff_required
def exercise_add(request, pk: int, phase_pk: int):
    phase = _phase(request, pk, phase_pk)
    templates = selectors.template_choices(actor=request.actor)
    form = PrescribedExerciseForm(request.POST or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            exercise = services.exercise_add(phase=phase, **data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            if exercise.template.has_ladder:
                messages.success(request, _("Exercise added with the ladder its template's defaults generate. "
                                            "Adjust the ladder here, or go back to keep it."))
                return redirect("protocols:ladder", pk=pk, exercise_pk=exercise.pk)
            messages.success(request, _("Exercise added."))
            return detail_at(pk, f"exercise-{exercise.pk}")
    return render(request, "protocols/exercise_form.html", {"form": form, "protocol": phase.protocol, "phase": phase})


@staff_required
def exercise_edit(request, pk: int, exercise_pk: int):
    exercise = exercise_to_edit(request, pk, exercise_pk)
    form = PrescribedExerciseForm(request.POST or None, instance=exercise, ladder=exercise.template.has_ladder)
    if request.method == "POST" and form.is_valid():
        try:
            services.exercise_update(exercise=exercise, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Exercise saved."))
            return detail_at(pk, f"exercise-{exercise.pk}")
    return render(request, "protocols/exercise_form.html", {
        "form": form, "protocol": exercise.phase.protocol, "phase": exercise.phase, "exercise": exercise,
    })


@staff_required
def exercise_remove(request, pk: int, exercise_pk: int):
    exercise = exercise_to_edit(request, pk, exercise_pk)
    if request.method == "POST":
        services.exercise_remove(exercise=exercise)
        messages.success(request, _("“%(name)s” removed from the phase.") % {"name": exercise.template.name})
        return detail_at(pk, f"phase-{exercise.phase_id}")
    return render(request, "protocols/confirm_remove.html", {
        "protocol": exercise.phase.protocol, "exercise": exercise, "what": "exercise",
        "step_count": exercise.ladder_steps.count(),
        "action": reverse("protocols:exercise-remove", args=[pk, exercise.pk]),
    })


@staff_required
@require_POST
def exercise_move(request, pk: int, exercise_pk: int):
    exercise = exercise_to_edit(request, pk, exercise_pk)
    try:
        services.exercise_move(exercise=exercise, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return detail_at(pk, f"exercise-{exercise.pk}")
