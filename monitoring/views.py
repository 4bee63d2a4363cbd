"""Remote-monitoring pages: the clinic's list (and its CSV), a patient's monitoring, enrolment, the timer and
management-time entries. Thin: a form, one service or selector, the answer. Staff of the patient's clinic only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.audit import audit_contained, audit_narrowed, audit_note
from clinic.clock import clinic_today
from clinic.csv_export import csv_text
from clinic.tenancy import get_scoped_or_404
from clinic.web import service_errors_to_form, staff_required
from monitoring import periods, selectors, services
from monitoring.forms import ClinicListFilter, EnrolForm, TimeEntryForm, TimerStopForm, UnenrolForm
from monitoring.models import TimeEntry
from patients.models import Patient
from protocols.wording import format_date

ROWS_PER_PAGE = 50
ENTRIES_PER_PAGE = 25
GET_AND_POST = ["GET", "HEAD", "POST"]


def _patient(request, pk: int) -> Patient:
    """A patient of the caller's clinic (404 for any other), with what the pages show."""
    return get_scoped_or_404(Patient.objects.select_related("clinic", "therapist"), request.actor, pk=pk)


def _posted(request):
    """The posted data of a POST (even an empty one, which is then refused field by field), else None."""
    return request.POST if request.method == "POST" else None


def _back(patient: Patient):
    return redirect(reverse("patients:detail", args=[patient.pk]) + "#monitoring")


# ---------------------------------------------------------------------------
# The clinic's list
# ---------------------------------------------------------------------------


def _clinic_rows(request):
    """The list's rows and the filters that narrowed them (told to the audit trail)."""
    actor = request.actor
    filters = ClinicListFilter(request.GET, statuses=periods.STATUS_ORDER)
    therapist_id, status = filters.value("therapist"), filters.value("status") or ""
    today = clinic_today(actor.clinic)
    rows = selectors.clinic_overview(actor=actor, today=today, therapist_id=therapist_id)
    counts = {s: sum(1 for r in rows if r.status.status == s) for s in periods.STATUS_ORDER}
    shown = [r for r in rows if r.status.status == status] if status else rows
    audit_narrowed(request, {"therapist": therapist_id, "status": status})
    return today, rows, shown, counts, therapist_id, status


@staff_required
@require_safe
def clinic_list(request):
    """Enrolled patients by where they stand this period and month, neediest first, with what to do next."""
    today, rows, shown, counts, therapist_id, status = _clinic_rows(request)
    page = Paginator(shown, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    audit_contained(request, (row.patient.pk for row in page.object_list), page=page.number)
    query = urlencode({k: v for k, v in (("therapist", therapist_id), ("status", status)) if v})
    groups = [(s, counts[s], next((r.label for r in rows if r.status.status == s), "")) for s in periods.STATUS_ORDER
              if counts[s]]
    return render(request, "monitoring/clinic_list.html", {
        "today": today, "month": periods.month_of(today), "page": page, "rows": page.object_list,
        "total": len(rows), "shown": len(shown), "groups": groups, "status": status, "therapist": therapist_id,
        "therapists": selectors.clinic_staff(request.actor), "query": query,
        "filtered": bool(therapist_id or status),
    })


CSV_FIELDS = ["patient_id", "external_ref", "first_name", "last_name", "therapist", "status", "status_words",
              "period", "period_start", "period_end", "days_with_data", "days_left", "days_needed", "month",
              "minutes", "interactive", "codes_met_so_far"]


@staff_required
@require_safe
def clinic_export(request):
    """The clinic list as CSV (every row the filters keep), through the one CSV writer."""
    today, _rows, shown, _counts, _therapist, _status = _clinic_rows(request)
    audit_contained(request, (row.patient.pk for row in shown))
    audit_note(request, detail={"format": "csv", "rows": len(shown)})
    lines = [[row.patient.pk, row.patient.external_ref, row.patient.first_name, row.patient.last_name,
              str(row.patient.therapist) if row.patient.therapist else "", row.status.status, row.words,
              row.period.number, row.period.start.isoformat(), row.period.end.isoformat(), row.status.days,
              row.status.days_left, row.status.needed, periods.month_of(today).strftime("%Y-%m"),
              row.progress.time.minutes, "yes" if row.progress.time.interactive else "no",
              periods.codes_text(row.met)] for row in shown]
    response = HttpResponse(csv_text(CSV_FIELDS, lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="remote-monitoring-{today.isoformat()}.csv"'
    return response


# ---------------------------------------------------------------------------
# One patient
# ---------------------------------------------------------------------------


@staff_required
@require_safe
def patient_monitoring(request, pk: int):
    """A patient's monitoring over time: every period with its days and codes, every month's minutes, every entry."""
    patient = _patient(request, pk)
    today = clinic_today(request.actor.clinic)
    rows = selectors.patient_report(actor=request.actor, patient=patient, today=today)
    entries = Paginator(selectors.patient_entries(patient=patient), ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    for entry in entries.object_list:
        entry.can_change = entry.editable_by(request.actor)
    return render(request, "monitoring/patient.html", {
        "patient": patient, "rows": list(reversed(rows)), "entries": entries, "today": today,
        "open_episode": selectors.open_episode(patient=patient),
    })


@staff_required
@require_http_methods(GET_AND_POST)
def enrol(request, pk: int):
    """Enrol the patient in remote monitoring: the set-up date starts the first 30-day period."""
    patient = _patient(request, pk)
    today = clinic_today(request.actor.clinic)
    form = EnrolForm(_posted(request), initial={"setup_date": today})
    if request.method == "POST" and form.is_valid():
        try:
            episode = services.enrolment_start(patient=patient, setup_date=form.cleaned_data["setup_date"],
                                               enrolled_by=request.user, today=today)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            audit_note(request, detail={"episode": episode.pk})
            first = episode.periods_through(episode.setup_date)[0]
            messages.success(request, _("Enrolled in remote monitoring from %(day)s: the first 30-day period runs "
                                        "to %(end)s.") % {"day": format_date(first.start),
                                                          "end": format_date(first.end)})
            return _back(patient)
    return render(request, "monitoring/enrol.html", {"patient": patient, "form": form},
                  status=400 if form.is_bound else 200)


@staff_required
@require_http_methods(GET_AND_POST)
def unenrol(request, pk: int):
    """End the patient's remote monitoring on a last day (a period it cuts short is reported as truncated)."""
    patient = _patient(request, pk)
    episode = selectors.open_episode(patient=patient)
    if episode is None:
        messages.warning(request, _("This patient is not enrolled in remote monitoring."))
        return _back(patient)
    today = clinic_today(request.actor.clinic)
    form = UnenrolForm(_posted(request), initial={"last_day": today})
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_end(episode=episode, last_day=form.cleaned_data["last_day"], ended_by=request.user,
                                   today=today)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            audit_note(request, detail={"episode": episode.pk})
            messages.success(request, _("Remote monitoring ended. Its periods stay in the report."))
            return _back(patient)
    return render(request, "monitoring/unenrol.html", {"patient": patient, "episode": episode, "form": form},
                  status=400 if form.is_bound else 200)


def _say_stopped(request, stopped: services.TimerStopped, *, other: bool) -> None:
    name = stopped.patient.full_name
    if stopped.entry is None:
        text = _("Your timer on %(name)s ran for less than half a minute: nothing was saved.") % {"name": name}
    elif other:
        text = ngettext(
            "Your timer on %(name)s was stopped and %(n)s minute saved for them (edit the entry to say what "
            "was done).",
            "Your timer on %(name)s was stopped and %(n)s minutes saved for them (edit the entry to say what "
            "was done).", stopped.minutes) % {"name": name, "n": stopped.minutes}
    else:
        text = ngettext("Timer stopped: %(n)s minute saved.", "Timer stopped: %(n)s minutes saved.",
                        stopped.minutes) % {"n": stopped.minutes}
    if stopped.capped:
        text += " " + _("It ran longer than one entry may hold: check the entry.")
    (messages.warning if other or stopped.capped else messages.success)(request, text)


@staff_required
@require_POST
def timer_start(request, pk: int):
    """Start the management timer here; a timer of yours on another patient stops and its minutes are saved."""
    patient = _patient(request, pk)
    try:
        started = services.timer_start(user=request.user, patient=patient)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(patient)
    if started.stopped is not None:
        _say_stopped(request, started.stopped, other=True)
        audit_note(request, detail={"stopped_patient": started.stopped.patient.pk,
                                    "saved_entry": getattr(started.stopped.entry, "pk", None)})
    if started.already_running:
        messages.info(request, _("Your timer is already running on this patient."))
    else:
        messages.success(request, _("Timer started."))
    return _back(patient)


@staff_required
@require_POST
def timer_stop(request, pk: int):
    """Stop the timer and save its minutes with what was done and whether it was interactive."""
    patient = _patient(request, pk)
    form = TimerStopForm(request.POST)
    if form.is_valid():
        try:
            stopped = services.timer_stop(user=request.user, patient=patient, activity=form.cleaned_data["activity"],
                                          interactive=form.cleaned_data["interactive"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return _back(patient)
            service_errors_to_form(form, error)
        else:
            audit_note(request, detail={"saved_entry": getattr(stopped.entry, "pk", None)})
            _say_stopped(request, stopped, other=False)
            return _back(patient)
    return render(request, "monitoring/timer_stop.html", {"patient": patient, "form": form}, status=400)


@staff_required
@require_http_methods(GET_AND_POST)
def time_add(request, pk: int):
    """Log management time by hand: date, minutes, what was done, interactive or not."""
    patient = _patient(request, pk)
    today = clinic_today(request.actor.clinic)
    form = TimeEntryForm(_posted(request), initial={"date": today, "interactive": "no"})
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.time_entry_create(patient=patient, author=request.user, today=today, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            audit_note(request, detail={"entry": entry.pk})
            messages.success(request, ngettext("%(n)s minute saved.", "%(n)s minutes saved.", entry.minutes)
                             % {"n": entry.minutes})
            return _back(patient)
    return render(request, "monitoring/time_form.html", {"patient": patient, "form": form, "entry": None},
                  status=400 if form.is_bound else 200)


def _entry(request, pk: int) -> TimeEntry:
    """An entry of the caller's clinic that the caller may change (author or clinic admin): 404 / 403 otherwise."""
    entry = get_scoped_or_404(TimeEntry.objects.select_related("patient", "author"), request.actor, pk=pk)
    audit_note(request, patient_id=entry.patient_id)
    if not entry.editable_by(request.actor):
        raise PermissionDenied(_("Only the entry's author or a clinic admin may change it."))
    return entry


@staff_required
@require_http_methods(GET_AND_POST)
def time_edit(request, pk: int):
    entry = _entry(request, pk)
    today = clinic_today(request.actor.clinic)
    initial = {"date": entry.date, "minutes": entry.minutes, "activity": entry.activity,
               "interactive": "yes" if entry.interactive else "no"}
    form = TimeEntryForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.time_entry_update(entry=entry, actor=request.actor, today=today, **form.cleaned_data)
        except ValidationError as error:
            service_errors_to_form(form, error)
        else:
            messages.success(request, _("Entry saved."))
            return redirect(reverse("monitoring:patient", args=[entry.patient_id]) + "#entries")
    return render(request, "monitoring/time_form.html", {"patient": entry.patient, "form": form, "entry": entry},
                  status=400 if form.is_bound else 200)


@staff_required
@require_http_methods(GET_AND_POST)
def time_delete(request, pk: int):
    entry = _entry(request, pk)
    if request.method == "POST":
        services.time_entry_delete(entry=entry, actor=request.actor)
        messages.success(request, _("Entry deleted."))
        return redirect(reverse("monitoring:patient", args=[entry.patient_id]) + "#entries")
    return render(request, "monitoring/time_delete.html", {"patient": entry.patient, "entry": entry})
