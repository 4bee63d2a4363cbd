"""Where the library's protocols and templates are in use, as the app that assigns them reports it.

protocols is the library and never imports the apps built on it (see the
package docstring). Its pages still show how many of the clinic's
assignments use a protocol and how many of its running plans hold a
template: the app that assigns protocols (patients) registers both counts
here when Django starts (`patients.protocol_usage`). Until one has, both are 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Expression, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from clinic.tenancy import Actor
from protocols.models import ExerciseTemplate


@dataclass(frozen=True)
class UsageCounts:
    """`protocol_assignments(actor)`: an annotation for a Protocol queryset, the clinic's assignments of each
    protocol (`OuterRef("pk")` is the protocol); `template_running_plans(actor, template)`: how many of the
    clinic's running plans hold the template."""

    protocol_assignments: Callable[[Actor], Expression]
    template_running_plans: Callable[[Actor, ExerciseTemplate], int]


_registered: list[UsageCounts] = []


def register(counts: UsageCounts) -> None:
    """Report where protocols and templates are used; a second registration replaces the first."""
    _registered[:] = [counts]


def protocol_assignment_count(actor: Actor) -> Expression:
    """How many of the actor's clinic's assignments use each protocol of a queryset (an annotation)."""
    if not _registered:
        return Value(0, output_field=IntegerField())
    return _registered[0].protocol_assignments(actor)


def template_running_plans(actor: Actor, template: ExerciseTemplate) -> int:
    """How many of the actor's clinic's running plans hold `template`."""
    return _registered[0].template_running_plans(actor, template) if _registered else 0


def row_count(queryset: QuerySet, column: str) -> Coalesce:
    """A subquery annotation: how many rows of `queryset` (filtered on an OuterRef) per `column`, 0 for none."""
    counted = queryset.order_by().values(column).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
