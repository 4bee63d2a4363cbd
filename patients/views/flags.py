"""The therapist's flag inbox: what the progression checks raised, and acting on one flag or several."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from clinic.audit import audit_narrowed, audit_note, page_of
from clinic.web import id_or_none, safe_next_url, staff_required
from patients import selectors, services
from patients.forms import FlagNoteForm

FLAGS_PER_PAGE = 30

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


@staff_required
@require_safe
def flag_inbox(request):
    """Open flags of the therapist's patients (admins: the clinic), urgent first."""
    actor = request.actor
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


@staff_required
@require_POST
def flag_bulk(request):
    """Act on several flags at once; each one succeeds or fails on its own."""
    actor = request.actor
    action = request.POST.get("action", "")
    ids = [i for i in map(id_or_none, request.POST.getlist("flag")) if i is not None]
    if action not in FLAG_ACTIONS or not ids:
        messages.error(request, _("Tick at least one flag and choose what to do."))
        return redirect("patients:flags")
    if (note := _typed_note(request)) is None:
        return redirect("patients:flags")
    done, problems = [], []
    today = services.clinic_today(actor.clinic)
    audit_note(request, detail={"flags": sorted(ids)[:200]})
    for flag in selectors.flags_get(actor=actor, ids=ids):
        try:
            FLAG_ACTIONS[action](flag, request.user, note, today)
            done.append(flag.patient.full_name)
        except ValidationError as error:
            problems.append(f"{flag.patient.full_name}: {' '.join(error.messages)}")
    if done:
        messages.success(request, _("%(what)s — %(names)s") % {
            "what": FLAG_ACTION_DONE[action], "names": ", ".join(sorted(set(done)))})
    for problem in problems:
        messages.warning(request, problem)
    return _back_to(request, "patients:flags")


@staff_required
@require_POST
def flag_action(request, pk: int):
    """Act on one flag, from the inbox or the patient page (its `next`)."""
    flag = selectors.flag_get(actor=request.actor, pk=pk)
    audit_note(request, patient_id=flag.patient_id)
    action = request.POST.get("action", "")
    if action not in FLAG_ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("patients:flags")
    if (note := _typed_note(request)) is None:
        return redirect("patients:flags")
    name = flag.patient.full_name
    try:
        FLAG_ACTIONS[action](flag, request.user, note, services.clinic_today(request.actor.clinic))
    except ValidationError as error:
        messages.error(request, f"{name}: {' '.join(error.messages)}")
    else:
        messages.success(request, _("%(what)s — %(names)s") % {"what": FLAG_ACTION_DONE[action], "names": name})
    return _back_to(request, "patients:flags")


def _typed_note(request) -> str | None:
    """The note typed with the action (decline, resolve), or None, with the problem told, when it cannot be kept."""
    note = FlagNoteForm(request.POST)
    if note.is_valid():
        return note.cleaned_data["note"]
    messages.error(request, note.problem())
    return None


def _back_to(request, default: str) -> HttpResponseRedirect:
    """Redirect to the form's `next` if it is a path on this site, else to the route `default`.

    Never hands `next` to redirect(): a bare word there is taken for a route
    name, and an unknown one raised a server error.
    """
    next_url = safe_next_url(request, request.POST.get("next"))
    return HttpResponseRedirect(next_url) if next_url else redirect(default)
