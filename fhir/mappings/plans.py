"""Protocols and exercise templates as PlanDefinition and ActivityDefinition; a patient's plan as a CarePlan.

Ladder steps travel as the `ladder-step` extension (common.LADDER_STEP) on
the PlanDefinition's exercise actions and on the CarePlan's activities: level
counted from 1, speed (km/h), incline (%) and duration (min). The CarePlan
also says which level is in force now (`level-in-force`, from 1, as
`protocols.wording.format_level` writes it).
"""

from __future__ import annotations

import re

from django.conf import settings

from fhir.mappings.common import (
    EXERCISE_KINDS,
    LEVEL_IN_FORCE,
    canonical,
    coding,
    ladder_step_extension,
    quantity,
    reference,
)
from protocols.wording import level_number

CAREPLAN_STATUS = {"active": "active", "completed": "completed", "stopped": "revoked"}
ACTIVITY_STATUS = {"active": "in-progress", "completed": "completed", "stopped": "stopped"}


def definition_url(resource_type: str, pk: int) -> str:
    """The canonical URL of a PlanDefinition or ActivityDefinition: its address on this server."""
    return f"{settings.SITE_URL}/fhir/R4/{resource_type}/{pk}"


def computable_name(text: str) -> str:
    """FHIR's machine name (starts with a capital, letters, digits and _ only): 'Retro walk' -> 'RetroWalk'."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(word[:1].upper() + word[1:] for word in words)
    return name if name[:1].isalpha() else f"X{name}"


def _ladder(steps) -> list[dict]:
    return [ladder_step_extension(step.order, step.speed_kmh, step.incline_pct, step.duration_min)
            for step in steps]


def _timing(frequency_per_week: int) -> dict:
    return {"repeat": {"frequency": frequency_per_week, "period": 1, "periodUnit": "wk"}}


def _exercise_action(prescribed) -> dict:
    action = {"title": prescribed.template.name,
              "definitionCanonical": definition_url("ActivityDefinition", prescribed.template_id),
              "timingTiming": _timing(prescribed.frequency_per_week)}
    if prescribed.notes:
        action["description"] = prescribed.notes
    steps = _ladder(prescribed.ladder_steps.all())
    return {**({"extension": steps} if steps else {}), **action}


def plan_definition_resource(protocol) -> dict:
    """Needs phases, their exercises with template, and each exercise's ladder steps prefetched."""
    resource = {
        "resourceType": "PlanDefinition",
        "id": str(protocol.pk),
        "url": definition_url("PlanDefinition", protocol.pk),
        "name": computable_name(protocol.name),
        "title": protocol.name,
        "status": "retired" if protocol.is_archived else "active",
    }
    if protocol.description:
        resource["description"] = protocol.description
    actions = []
    for phase in protocol.phases.all():
        action = {"title": phase.name, "timingDuration": quantity(phase.expected_weeks, "wk")}
        if phase.goals:
            action["description"] = phase.goals
        exercises = [_exercise_action(prescribed) for prescribed in phase.exercises.all()]
        actions.append({**action, **({"action": exercises} if exercises else {})})
    if actions:
        resource["action"] = actions
    return resource


def activity_definition_resource(template) -> dict:
    resource = {
        "resourceType": "ActivityDefinition",
        "id": str(template.pk),
        "url": definition_url("ActivityDefinition", template.pk),
        "name": computable_name(template.name),
        "title": template.name,
        "status": "active",
        "code": {"coding": [coding(canonical(EXERCISE_KINDS), template.kind, template.get_kind_display())],
                 "text": template.name},
    }
    if template.instructions:
        resource["description"] = template.instructions
    if template.safety_notes:
        resource["usage"] = template.safety_notes
    return resource


def _activity(exercise, plan_status: str) -> dict:
    detail = {
        "status": ACTIVITY_STATUS.get(plan_status, "unknown"),
        "code": {"text": exercise.name},
        "scheduledTiming": _timing(exercise.frequency_per_week),
    }
    if exercise.template_id:
        detail["instantiatesCanonical"] = [definition_url("ActivityDefinition", exercise.template_id)]
    if exercise.instructions:
        detail["description"] = exercise.instructions
    extensions = []
    if exercise.current_step is not None:
        extensions.append({"url": canonical(LEVEL_IN_FORCE), "valueInteger": level_number(exercise.current_step)})
    extensions += _ladder(exercise.ladder_steps.all())
    return {"detail": {**({"extension": extensions} if extensions else {}), **detail}}


def care_plan_resource(assignment) -> dict:
    """Needs the assignment's exercises and their ladder steps prefetched."""
    period = {"start": assignment.start_date.isoformat()}
    if assignment.end_date:
        period["end"] = assignment.end_date.isoformat()
    resource = {
        "resourceType": "CarePlan",
        "id": str(assignment.pk),
        "status": CAREPLAN_STATUS.get(assignment.status, "unknown"),
        "intent": "plan",
        "title": assignment.protocol_name,
        "subject": reference("Patient", assignment.patient_id),
        "period": period,
        "created": assignment.created_at.date().isoformat(),
    }
    if assignment.protocol_id:
        resource["instantiatesCanonical"] = [definition_url("PlanDefinition", assignment.protocol_id)]
    activities = [_activity(exercise, assignment.status) for exercise in assignment.exercises.all()]
    if activities:
        resource["activity"] = activities
    return resource
