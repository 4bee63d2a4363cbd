"""{% load rtm %}: remote monitoring on other apps' pages, so their views need not know about it.

- `{% rtm_panel patient %}` on the staff patient page: enrolment, the current
  period and month, the management timer (its script is static/js/rtm-timer.js)
  and the manual-entry form;
- `rtm_status_class`: the badge colour of a status; `codes`: "98977, 98980".
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from clinic.clock import clinic_today
from monitoring import periods, selectors
from monitoring.forms import EnrolForm, TimeEntryForm, TimerStopForm
from monitoring.services import TIMER_ACTIVITY

register = template.Library()

STATUS_CLASSES = {
    periods.ON_TRACK: "text-bg-success",
    periods.PARTIAL: "text-bg-info",
    periods.AT_RISK: "text-bg-warning",
    periods.NO_DATA: "text-bg-danger",
    periods.NO_RULES: "text-bg-secondary",
}


@register.filter
def rtm_status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-secondary")


@register.filter
def codes(items) -> str:
    """Met codes in words for a page: "98975, 98981 ×2"; an empty string for none."""
    return ", ".join(c.code if c.units == 1 else f"{c.code} ×{c.units}" for c in sorted(items or []))


@register.inclusion_tag("monitoring/includes/panel.html", takes_context=True)
def rtm_panel(context, patient) -> dict:
    """The remote-monitoring panel for the signed-in staff member (nothing for anyone else)."""
    actor = context.get("actor")
    if actor is None or not actor.is_staff_member:
        return {"panel": None}
    today = clinic_today(actor.clinic)
    panel = selectors.patient_panel(patient=patient, user=actor.user, today=today)
    elapsed = None
    if panel.timer is not None:
        elapsed = max(int((timezone.now() - panel.timer.started_at).total_seconds()), 0)
    for entry in panel.entries or []:
        entry.can_change = entry.editable_by(actor)
    return {
        "panel": panel, "patient": patient, "today": today, "elapsed": elapsed,
        "elapsed_text": _clock(elapsed or 0),
        "csrf_token": context.get("csrf_token"),
        "enrol_form": EnrolForm(initial={"setup_date": today}),
        "stop_form": TimerStopForm(initial={"activity": TIMER_ACTIVITY, "interactive": "no"}),
        "entry_form": TimeEntryForm(initial={"date": today, "interactive": "no"}),
    }


def _clock(seconds: int) -> str:
    """"1:02:03" for a running timer (the script keeps it ticking)."""
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
