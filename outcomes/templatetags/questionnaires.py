"""{% load questionnaires %}: questionnaires on other apps' pages, so their views need not know about outcomes.

- `{% due_questionnaires patient %}` on the phone's today page: what is due, each a link to answer it;
- `{% outcomes_panel patient %}` on the staff patient page: the plan's questionnaires (add, skip), each
  instrument's scores over time with the change from the first and whether it passes the threshold.
"""

from __future__ import annotations

from django import template

from clinic.clock import clinic_today
from outcomes import due, reports
from outcomes.forms import PlanQuestionnaireForm
from outcomes.questions import can_ask

register = template.Library()


@register.inclusion_tag("outcomes/includes/due.html", takes_context=True)
def due_questionnaires(context, patient) -> dict:
    """The questionnaires the signed-in patient should answer today (the clinic can ask them)."""
    actor = context.get("actor")
    if actor is None or not actor.is_patient:
        return {"due": []}
    found = due.due_questionnaires(patient=patient, today=clinic_today(actor.clinic))
    return {"due": [d for d in found if can_ask(actor.clinic, d.instrument)]}


@register.inclusion_tag("outcomes/includes/panel.html", takes_context=True)
def outcomes_panel(context, patient, assignment=None) -> dict:
    """The outcomes panel for the signed-in staff member (nothing for anyone else)."""
    actor = context.get("actor")
    if actor is None or not actor.is_staff_member:
        return {"show": False}
    series = reports.patient_outcomes(patient=patient)
    return {
        "show": True, "patient": patient, "assignment": assignment, "series": series,
        "chart": [s.chart() for s in series], "csrf_token": context.get("csrf_token"),
        "plan": due.plan_questionnaire_panel(assignment=assignment if assignment and assignment.status == "active"
                                             else None, today=clinic_today(actor.clinic)),
        "form": PlanQuestionnaireForm(clinic=actor.clinic) if assignment and assignment.status == "active" else None,
    }
