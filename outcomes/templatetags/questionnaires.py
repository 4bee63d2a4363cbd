"""{% load questionnaires %}: questionnaires on other apps' pages, so their views need not know about outcomes.

- `{% due_questionnaires patient %}` on the phone's today page: what is due, each a link to answer it;
- `{% outcomes_panel patient %}` on the staff patient page: the plan's questionnaires (add, skip), each
  instrument's scores over time with the change from the first and whether it passes the threshold.
"""

from __future__ import annotations

from django import template

from clinic.clock import clinic_today
from outcomes import due, reports
from outcomes.questions import can_ask

register = template.Library()


@register.inclusion_tag("outcomes/includes/due.html", takes_context=True)
def due_questionnaires(context, patient, assignment=None) -> dict:
    """The questionnaires the signed-in patient should answer today (the clinic can ask them).

    `assignment`: the running plan from the today page, whose `asked_questionnaires` (patients.selectors
    today_plan) says whether there is anything to look up at all.
    """
    actor = context.get("actor")
    if actor is None or not actor.is_patient or getattr(assignment, "asked_questionnaires", None) == 0:
        return {"due": []}
    found = due.due_questionnaires(patient=patient, today=clinic_today(actor.clinic), assignment=assignment)
    return {"due": [d for d in found if can_ask(actor.clinic, d.instrument)]}


@register.inclusion_tag("outcomes/includes/panel.html", takes_context=True)
def outcomes_panel(context, patient, assignment=None) -> dict:
    """The outcomes panel for the signed-in staff member (nothing for anyone else).

    `assignment` is the patient page's plan, annotated by patients.selectors.patient_overview with how many
    questionnaires it asks and the patient answered: without either, the panel reads nothing more.
    """
    actor = context.get("actor")
    if actor is None or not actor.is_staff_member:
        return {"show": False}
    running = assignment if assignment is not None and assignment.status == "active" else None
    answered = getattr(assignment, "answered_questionnaires", None) != 0 and assignment is not None
    asked = running is not None and getattr(running, "asked_questionnaires", None) != 0
    series = reports.patient_outcomes(patient=patient) if answered else []
    return {
        "show": True, "patient": patient, "assignment": assignment, "series": series, "running": running,
        "chart": [s.chart() for s in series], "csrf_token": context.get("csrf_token"),
        "plan": due.plan_questionnaire_panel(assignment=running, today=clinic_today(actor.clinic)) if asked else [],
    }
