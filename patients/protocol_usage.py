"""The protocol pages' usage counts, computed where the assignments live.

protocols never imports patients; `register()` (called from
`PatientsConfig.ready`) hands these two counts to `protocols.usage`.
"""

from __future__ import annotations

from django.db.models import Expression, OuterRef

from clinic.tenancy import Actor, scope_queryset
from patients.models import Assignment
from protocols import usage
from protocols.models import ExerciseTemplate


def protocol_assignment_count(actor: Actor) -> Expression:
    """Built-in protocols are assigned by many clinics; count only the actor's clinic's assignments."""
    return usage.row_count(Assignment.objects.filter(protocol=OuterRef("pk"), patient__clinic=actor.clinic),
                           "protocol")


def template_running_plans(actor: Actor, template: ExerciseTemplate) -> int:
    """The clinic's running plans whose snapshot holds `template`."""
    return (
        scope_queryset(Assignment.objects.filter(status=Assignment.Status.ACTIVE, exercises__template=template), actor)
        .values("pk").distinct().count()
    )


def register() -> None:
    usage.register(usage.UsageCounts(protocol_assignments=protocol_assignment_count,
                                     template_running_plans=template_running_plans))
