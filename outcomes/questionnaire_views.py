"""The clinic admin's questionnaire pages: the clinic's imported wording, importing a FHIR Questionnaire, and the
clinic's own change thresholds (staff read them; admins change them).

Thin: the selectors read (scoped to the admin's clinic), `questionnaire_import` writes. The upload is the
one file these pages take: read into memory up to the import's size cap (a body larger than that is
refused by its Content-Length before it is read), never stored as a file.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from clinic.audit import audit_note
from clinic.builtin_text import builtin_text
from clinic.tenancy import require_clinic_admin
from clinic.uploads import file_upload_page
from clinic.web import clinic_admin_required, service_errors_to_form, staff_required
from outcomes import instruments, selectors
from outcomes.fhir_questionnaire import MAX_BYTES, NeedsConfirmation, QuestionnaireImportError
from outcomes.questionnaire_forms import QuestionnaireImportForm, ThresholdForm
from outcomes.services import questionnaire_import, threshold_reset, threshold_set

MULTIPART_OVERHEAD = 16 * 1024  # the form's other fields and the multipart framing around the file
# A file, and at most one more carried in the hidden field of the confirm step (a new file then wins).
BODY_LIMIT = 2 * MAX_BYTES + MULTIPART_OVERHEAD
IMPORTS_PER_PAGE = 25


class QuestionnaireUploadHandler(MemoryFileUploadHandler):
    """Keeps an upload in memory, dropping a file past `limit` bytes (marks the request so the page says so)."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = True  # the view has refused bodies over the limit by their Content-Length

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = True
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)


# A clinic admin's page whose POST carries the Questionnaire file.
admin_upload_page = file_upload_page(
    allowed=require_clinic_admin,
    handler=lambda request: QuestionnaireUploadHandler(request, limit=MAX_BYTES),
    body_limit=lambda: BODY_LIMIT,
)


@clinic_admin_required
@require_safe
def questionnaire_list(request):
    """The licensed instruments, which of them the clinic has wording for, and every import it made."""
    clinic = request.actor.clinic
    active = {imported.instrument_id: imported for imported in selectors.active_imports(clinic)}
    page = Paginator(selectors.import_history(clinic), IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(instrument, active.get(instrument.id)) for instrument in instruments.licensed_instruments()]
    return render(request, "outcomes/questionnaire_list.html", {
        "rows": rows, "page": page, "built_ins": instruments.built_in_instruments(), "section": "questionnaires"})


def _too_large() -> str:
    return _("This file is too large: at most %(kb)s KB.") % {"kb": MAX_BYTES // 1024}


def _with_pending(request, raw: bytes) -> QuestionnaireImportForm:
    """The form again, carrying the file just read in its hidden `pending` field: confirming needs no re-upload."""
    data = request.POST.copy()
    data["pending"] = raw.decode("utf-8-sig")  # it parsed, so it is UTF-8
    form = QuestionnaireImportForm(data)
    form.is_valid()
    return form


@admin_upload_page
@require_http_methods(["GET", "POST"])
def questionnaire_import_page(request):
    """Upload (POST) a FHIR Questionnaire; when Backstep cannot tell the instrument, the admin chooses it
    and confirms (the file travels in a hidden field, so it is not chosen again)."""
    too_large = request.upload_too_large  # refused by its Content-Length: the body is never read
    posted = request.method == "POST" and not too_large
    form = QuestionnaireImportForm(request.POST, request.FILES) if posted else QuestionnaireImportForm()
    if posted and request.upload_too_large:  # reading the body just now, the handler dropped the file
        too_large, posted = True, False
    needs_choice = False
    if posted and form.is_valid():
        data = form.cleaned_data
        raw = data["file"].read(MAX_BYTES + 1) if data["file"] else data["pending"].encode()
        try:
            imported = questionnaire_import(request.actor.clinic, request.user, raw, data["instrument"] or None,
                                            is_test_wording=data["is_test_wording"])
        except NeedsConfirmation as refusal:
            needs_choice, form = True, _with_pending(request, raw)
            form.add_error("instrument", refusal.message)
        except QuestionnaireImportError as refusal:
            form.add_error("file", refusal.message)
        else:
            audit_note(request, object_id=imported.pk, detail={"instrument": imported.instrument_id})
            messages.success(request, _("Imported the wording of %(title)s. It can now be scheduled.")
                             % {"title": builtin_text(instruments.get(imported.instrument_id).title)})
            return redirect("outcomes:questionnaires")
    status = 413 if too_large else 400 if posted else 200
    return render(request, "outcomes/questionnaire_import.html", {
        "form": form, "refusal": _too_large() if too_large else "", "needs_choice": needs_choice,
        "section": "questionnaires"}, status=status)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def thresholds(request):
    """Every scale's important change: the default, where it comes from, and the clinic's own value.

    Staff see it (it explains the flags and the outcomes page); only a clinic admin may set or reset one.
    """
    clinic = request.actor.clinic
    form = None
    if request.method == "POST":
        require_clinic_admin(request.actor)
        form = ThresholdForm(request.POST)
        if form.is_valid() and _threshold_saved(request, form):
            return redirect("outcomes:thresholds")
    return render(request, "outcomes/thresholds.html", {
        "rows": selectors.threshold_rows(clinic), "form": form, "can_change": request.actor.is_clinic_admin,
        "section": "questionnaires"}, status=400 if form is not None else 200)


def _threshold_saved(request, form: ThresholdForm) -> bool:
    data = form.cleaned_data
    where = {"instrument_id": data["instrument"], "scale_id": data["scale"]}
    try:
        if data["action"] == ThresholdForm.RESET:
            threshold_reset(request.actor.clinic, request.user, **where)
        else:
            row = threshold_set(request.actor.clinic, request.user, value=data["value"], **where)
    except ValidationError as error:
        service_errors_to_form(form, error)
        return False
    reset = data["action"] == ThresholdForm.RESET
    audit_note(request, object_id=None if reset else row.pk,
               detail={**where, "value": None if reset else str(row.important_change)})
    messages.success(request, _("The default threshold is used again.") if reset
                     else _("Saved your clinic's threshold."))
    return True
