"""Serializers of the exercise library and protocols: shapes only, no business rules."""

from __future__ import annotations

from rest_framework import serializers

from clinic.api.base import ZERO_BASED, ApiModelSerializer, ApiSerializer, LevelField
from clinic.api.permissions import actor_of
from clinic.tenancy import scope_queryset
from protocols.ladder import Load
from protocols.models import (
    PROTOCOL_TEXT_MAX_LENGTH,
    ExerciseTemplate,
    LadderStep,
    Phase,
    PrescribedExercise,
    Protocol,
)
from protocols.services import ExerciseInput, PhaseInput


class NumbersModelSerializer(ApiModelSerializer):
    """Speeds, inclines and percentages as JSON numbers (2.5, not "2.5"), as in the adherence report."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.DecimalField):
            kwargs["coerce_to_string"] = False
        return field_class, kwargs


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A writable reference that only accepts rows the caller may see (scope_queryset).

    Rows of another clinic or patient do not exist for the caller, so the error
    says "not found", exactly as for an id that does not exist at all.
    """

    default_error_messages = {"does_not_exist": "Not found: {pk_value}."}

    def get_queryset(self):
        return scope_queryset(super().get_queryset(), actor_of(self.context["request"]))


class ExerciseTemplateSerializer(NumbersModelSerializer):
    is_builtin = serializers.BooleanField(read_only=True, help_text="Backstep's built-in library (read-only).")
    # Declared, so that "" (not set) stays part of the documented choices of this read-only field.
    handrail = serializers.ChoiceField(choices=ExerciseTemplate._meta.get_field("handrail").choices,
                                       allow_blank=True, read_only=True)

    class Meta:
        model = ExerciseTemplate
        fields = [
            "id", "clinic", "slug", "name", "kind", "is_builtin",
            "default_speed_kmh", "default_incline_pct", "default_duration_min",
            "speed_step_kmh", "incline_step_pct", "duration_step_min",
            "max_speed_kmh", "max_incline_pct", "max_duration_min", "handrail",
            "default_sets", "default_reps", "default_hold_seconds",
            "instructions", "safety_notes", "created_at", "updated_at",
        ]
        read_only_fields = fields


class LadderStepSerializer(NumbersModelSerializer):
    in_words = serializers.CharField(read_only=True, help_text='e.g. "2.5 km/h · 5 % · 20 min"')
    level = LevelField(source="order")

    class Meta:
        model = LadderStep
        fields = ["order", "level", "speed_kmh", "incline_pct", "duration_min", "in_words"]
        read_only_fields = fields
        extra_kwargs = {"order": {"help_text": f"Position on the ladder, {ZERO_BASED}; people read `level`."}}


class PrescribedExerciseSerializer(NumbersModelSerializer):
    template_name = serializers.CharField(source="template.name", read_only=True)
    # A plain string here: the kinds are listed once, on exercise templates.
    kind = serializers.CharField(source="template.kind", read_only=True, help_text="The template's kind.")
    ladder_steps = LadderStepSerializer(many=True, read_only=True, help_text="Easiest first; empty if no ladder.")

    class Meta:
        model = PrescribedExercise
        fields = ["id", "order", "template", "template_name", "kind", "frequency_per_week", "sets", "reps",
                  "hold_seconds", "duration_min", "notes", "ladder_steps"]
        read_only_fields = fields


class PhaseSerializer(NumbersModelSerializer):
    exercises = PrescribedExerciseSerializer(many=True, read_only=True)

    class Meta:
        model = Phase
        fields = ["id", "order", "name", "goals", "entry_criteria", "expected_weeks", "exercises"]
        read_only_fields = fields


class ProtocolSerializer(NumbersModelSerializer):
    """A protocol with its phases, exercises and ladders. Only the four top-level details are writable."""

    is_builtin = serializers.BooleanField(read_only=True, help_text="Built-in protocols are read-only: clone them.")
    phases = PhaseSerializer(many=True, read_only=True)

    class Meta:
        model = Protocol
        fields = ["id", "clinic", "slug", "name", "condition", "description", "sessions_per_week", "is_builtin",
                  "is_archived", "cloned_from", "created_at", "updated_at", "phases"]
        read_only_fields = ["id", "clinic", "slug", "is_builtin", "is_archived", "cloned_from", "created_at",
                            "updated_at", "phases"]


class ProtocolCloneSerializer(ApiSerializer):
    name = serializers.CharField(required=False, max_length=160, help_text="Name of the copy (default: the same).")


# ---------------------------------------------------------------------------
# PUT /protocols/{id}/phases/: the whole structure of a clinic protocol
# ---------------------------------------------------------------------------


class LadderStepInputSerializer(ApiSerializer):
    speed_kmh = serializers.DecimalField(max_digits=4, decimal_places=1, min_value=0, max_value=20,
                                         coerce_to_string=False)
    incline_pct = serializers.DecimalField(max_digits=4, decimal_places=1, min_value=0, max_value=40,
                                           coerce_to_string=False)
    duration_min = serializers.IntegerField(min_value=1, max_value=180)


class PrescribedExerciseInputSerializer(ApiSerializer):
    template = ScopedPrimaryKeyField(queryset=ExerciseTemplate.objects.all(),
                                     help_text="A built-in template or one of your clinic's.")
    frequency_per_week = serializers.IntegerField(min_value=1, max_value=14, default=3)
    sets = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    reps = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True)
    hold_seconds = serializers.IntegerField(min_value=1, max_value=3600, required=False, allow_null=True)
    duration_min = serializers.IntegerField(min_value=1, max_value=180, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=PROTOCOL_TEXT_MAX_LENGTH)
    ladder = LadderStepInputSerializer(
        many=True, required=False, allow_null=True, max_length=60,
        help_text="Load ladder, easiest first. Omit it for a retro treadmill exercise to generate it from the "
                  "template's start values, step sizes and caps; other exercises have none.",
    )


class PhaseInputSerializer(ApiSerializer):
    name = serializers.CharField(max_length=120)
    goals = serializers.CharField(required=False, allow_blank=True, default="", max_length=PROTOCOL_TEXT_MAX_LENGTH)
    entry_criteria = serializers.CharField(required=False, allow_blank=True, default="",
                                           max_length=PROTOCOL_TEXT_MAX_LENGTH)
    expected_weeks = serializers.IntegerField(min_value=1, max_value=52, default=2)
    exercises = PrescribedExerciseInputSerializer(many=True, max_length=50)


class ProtocolPhasesSerializer(ApiSerializer):
    phases = PhaseInputSerializer(many=True, allow_empty=False, max_length=20)

    def to_inputs(self) -> list:
        return [
            PhaseInput(
                name=phase["name"], goals=phase["goals"], entry_criteria=phase["entry_criteria"],
                expected_weeks=phase["expected_weeks"],
                exercises=[
                    ExerciseInput(
                        template=item["template"], frequency_per_week=item["frequency_per_week"],
                        sets=item.get("sets"), reps=item.get("reps"), hold_seconds=item.get("hold_seconds"),
                        duration_min=item.get("duration_min"), notes=item["notes"],
                        ladder=[Load(s["speed_kmh"], s["incline_pct"], s["duration_min"]) for s in item["ladder"]]
                        if item.get("ladder") else None,
                    )
                    for item in phase["exercises"]
                ],
            )
            for phase in self.validated_data["phases"]
        ]
