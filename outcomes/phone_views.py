"""The patient's questionnaire on the phone: the form (one question per screen with JavaScript, all on one page
without), saving one answer as it is given, and the submit (once: a repeat finds the first).

The page's script (static/js/questionnaire.js) keeps every answer in the
phone's storage too and resends unsaved ones when the connection returns, so
a half-finished questionnaire survives a lost connection or a closed tab.
Answers are JSON when asked for (the script), a redirect otherwise.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.clock import clinic_today
from clinic.web import patient_required
from outcomes import answering, instruments
from outcomes.due import current_occasion
from outcomes.models import QuestionnaireResponse
from outcomes.psfs import first_activities, is_psfs
from outcomes.questions import NoWording, questionnaire_screens
from patients.outbox import OWNER_FIELD, is_outbox_owner, outbox_owner

GET_AND_POST = ["GET", "HEAD", "POST"]
OTHER_PATIENT = gettext_lazy("Nothing was saved: this questionnaire was filled in while someone else was signed in.")


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _instrument(instrument_id: str):
    try:
        return instruments.get(instrument_id)
    except instruments.UnknownInstrument:
        raise Http404(_("No such questionnaire.")) from None


def _other_patient(request) -> bool:
    tag = request.POST.get(OWNER_FIELD)
    return tag is not None and not is_outbox_owner(request.actor.patient, tag)


def _int_or_none(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({"value": _("An answer is a whole number.")}) from None


def _posted_answers(request) -> dict[str, int | None]:
    return {key[2:]: _int_or_none(value) for key, value in request.POST.items() if key.startswith("a:")}


def _refused(request, instrument, error: ValidationError):
    """A refused post: JSON for the script, else a page that says why, with the way back to the questionnaire."""
    if _wants_json(request):
        return _errors(error)
    return render(request, "outcomes/refused.html", {"instrument": instrument, "reasons": error.messages},
                  status=400)


def _errors(error: ValidationError, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": error.message_dict if hasattr(error, "error_dict") else
                         {"__all__": error.messages}}, status=status)


@patient_required
@require_http_methods(GET_AND_POST)
def answer(request, instrument_id: str):
    """The questionnaire due today: its screens (GET), or its submit (POST)."""
    patient = request.actor.patient
    instrument = _instrument(instrument_id)
    today = clinic_today(patient.clinic)
    occasion = current_occasion(patient=patient, instrument_id=instrument.id, today=today)
    if occasion is None:
        raise Http404(_("This questionnaire is not due."))
    if request.method == "POST":
        return _submit(request, instrument, today)
    draft = QuestionnaireResponse.objects.filter(patient=patient, instrument_id=instrument.id,
                                                 due_date=occasion.due_date).first()
    if draft and draft.status == QuestionnaireResponse.Status.SUBMITTED:
        return redirect("outcomes:answered", instrument_id=instrument.id)
    activities = (draft.activities if draft and draft.activities else first_activities(patient=patient,
                                                                                        instrument=instrument))
    try:
        asked = questionnaire_screens(clinic=patient.clinic, instrument=instrument,
                                      activities=activities if is_psfs(instrument) else [])
    except NoWording:
        raise Http404(_("Your clinic has not set up this questionnaire's wording.")) from None
    return render(request, "outcomes/answer.html", {
        "instrument": instrument, "asked": asked, "due_date": occasion.due_date, "psfs": is_psfs(instrument),
        "activities": activities, "name_activities": is_psfs(instrument) and not activities,
        "answers": draft.answers if draft else {}, "owner": outbox_owner(patient),
        "activity_slots": range(5),
    })


def _submit(request, instrument, today):
    if _other_patient(request):
        return JsonResponse({"errors": {"__all__": [OTHER_PATIENT]}}, status=409)
    try:
        activities = request.POST.getlist("activity") or None
        response, _new = answering.response_submit(
            patient=request.actor.patient, instrument_id=instrument.id, today=today,
            answers=_posted_answers(request), activities=activities)
    except ValidationError as error:
        return _refused(request, instrument, error)
    done = reverse("outcomes:answered", kwargs={"instrument_id": instrument.id})
    if _wants_json(request):
        return JsonResponse({"response": response.pk, "done": done}, status=201 if _new else 200)
    return redirect(done)


@patient_required
@require_POST
def answer_save(request, instrument_id: str):
    """Save one answer into the draft (the script posts each as it is given): JSON, 200 saved, 400 refused."""
    instrument = _instrument(instrument_id)
    if _other_patient(request):
        return JsonResponse({"errors": {"__all__": [OTHER_PATIENT]}}, status=409)
    patient = request.actor.patient
    try:
        response = answering.response_answer_save(
            patient=patient, instrument_id=instrument.id, item_id=request.POST.get("item", ""),
            value=_int_or_none(request.POST.get("value")), today=clinic_today(patient.clinic),
            activities=request.POST.getlist("activity") or None)
    except ValidationError as error:
        return _refused(request, instrument, error)
    if not _wants_json(request):  # the activities form without JavaScript
        return redirect("outcomes:answer", instrument_id=instrument.id)
    return JsonResponse({"saved": len(response.answers), "status": response.status})


@patient_required
@require_http_methods(["GET", "HEAD"])
def answered(request, instrument_id: str):
    """Thanks, after the submit: the patient's latest submitted response of this questionnaire."""
    instrument = _instrument(instrument_id)
    response = (QuestionnaireResponse.objects.filter(patient=request.actor.patient, instrument_id=instrument.id,
                                                     status=QuestionnaireResponse.Status.SUBMITTED)
                .order_by("-submitted_at").first())
    if response is None:
        raise Http404(_("Nothing answered yet."))
    return render(request, "outcomes/answered.html", {"instrument": instrument, "response": response,
                                                      "scores": response.scores})
