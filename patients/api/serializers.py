"""Serializers of patient data. Fields a caller may not set (clinic, patient, author) are read-only;
the views take them from the caller instead."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.api.base import ZERO_BASED, ApiSerializer, LevelField, UTCDateTimeField
from clinic.api.permissions import actor_of
from clinic.dates import BIRTH_DATES, MEASUREMENT_DATES, PLAN_DATES, SURGERY_DATES, ClinicDateValidator
from clinic.models import User
from patients.models import (
    NOTE_MAX_LENGTH,
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    Flag,
    Measurement,
    MorningCheckIn,
    Patient,
    SessionLog,
)
from patients.selectors import step_in_words
from protocols.api.serializers import NumbersModelSerializer, ScopedPrimaryKeyField
from protocols.models import Protocol
from protocols.wording import format_level


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ClinicStaffField(serializers.PrimaryKeyRelatedField):
    """A therapist or admin of the caller's clinic, by user id."""

    default_error_messages = {"does_not_exist": "Choose a therapist of your clinic ({pk_value} is not one)."}

    def get_queryset(self):
        return super().get_queryset().filter(memberships__clinic=actor_of(self.context["request"]).clinic)


class PatientSerializer(NumbersModelSerializer):
    therapist = ClinicStaffField(queryset=User.objects.all(), allow_null=True, required=False,
                                 help_text="User id of a therapist of your clinic.")
    therapist_name = serializers.SerializerMethodField()
    has_login = serializers.SerializerMethodField(help_text="The patient can sign in to log sessions.")
    last_session_date = serializers.DateField(read_only=True, allow_null=True)
    open_flags = serializers.IntegerField(read_only=True, help_text="Open or acknowledged flags.")

    class Meta:
        model = Patient
        fields = ["id", "clinic", "first_name", "last_name", "email", "external_ref", "date_of_birth", "condition",
                  "side", "surgery_date", "therapist", "therapist_name", "has_login", "last_session_date",
                  "open_flags", "created_at"]
        read_only_fields = ["id", "clinic", "created_at"]
        extra_kwargs = {"surgery_date": {"validators": [ClinicDateValidator(SURGERY_DATES)]},
                        "date_of_birth": {"validators": [ClinicDateValidator(BIRTH_DATES)]}}

    @extend_schema_field(OpenApiTypes.STR)
    def get_therapist_name(self, patient: Patient) -> str:
        return str(patient.therapist) if patient.therapist_id else ""

    def get_has_login(self, patient: Patient) -> bool:
        return patient.user_id is not None


class AssignedLadderStepSerializer(NumbersModelSerializer):
    in_words = serializers.CharField(read_only=True)
    level = LevelField(source="order")

    class Meta:
        model = AssignedLadderStep
        fields = ["order", "level", "speed_kmh", "incline_pct", "duration_min", "in_words"]
        read_only_fields = fields
        extra_kwargs = {"order": {"help_text": f"Position on the ladder, {ZERO_BASED}; people read `level`."}}


class AssignedExerciseSerializer(NumbersModelSerializer):
    # A plain string here: the kinds are listed once, on exercise templates.
    kind = serializers.CharField(read_only=True, help_text="Exercise kind, as on exercise templates.")
    ladder_steps = AssignedLadderStepSerializer(many=True, read_only=True)
    current_level = LevelField(source="current_step")

    class Meta:
        model = AssignedExercise
        fields = ["id", "order", "name", "kind", "template", "frequency_per_week", "sets", "reps", "hold_seconds",
                  "duration_min", "instructions", "safety_notes", "notes", "current_step", "current_level",
                  "ladder_steps"]
        read_only_fields = fields
        extra_kwargs = {"current_step": {"help_text": f"Current ladder step, {ZERO_BASED}; null without a ladder. "
                                                      "People read `current_level`."}}


class AssignedPhaseSerializer(NumbersModelSerializer):
    exercises = AssignedExerciseSerializer(many=True, read_only=True)

    class Meta:
        model = AssignedPhase
        fields = ["id", "order", "name", "goals", "entry_criteria", "expected_weeks", "exercises"]
        read_only_fields = fields


class AssignmentSerializer(NumbersModelSerializer):
    """An assignment: the protocol snapshot with its phases, exercises, ladders and current steps."""

    current_phase = serializers.IntegerField(source="current_phase_id", read_only=True, allow_null=True,
                                             help_text="Id of the phase the patient is in now.")
    phases = AssignedPhaseSerializer(many=True, read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "patient", "protocol", "protocol_name", "condition", "start_date", "end_date",
                  "sessions_per_week", "baseline_pain", "status", "assigned_by", "created_at", "current_phase",
                  "phases"]
        read_only_fields = fields


class AssignmentCreateSerializer(ApiSerializer):
    patient = ScopedPrimaryKeyField(queryset=Patient.objects.select_related("clinic"))
    protocol = ScopedPrimaryKeyField(queryset=Protocol.objects.all(),
                                     help_text="A built-in protocol or one of your clinic's.")
    start_date = serializers.DateField(required=False, validators=[ClinicDateValidator(PLAN_DATES)],
                                       help_text="Default: today in the clinic's time zone; at most 5 years back "
                                                 "and 2 years ahead.")
    baseline_pain = serializers.IntegerField(min_value=0, max_value=10, help_text="Morning pain, NPRS 0-10.")
    sessions_per_week = serializers.IntegerField(required=False, min_value=1, max_value=14,
                                                 help_text="Default: the protocol's.")


class SessionLogSerializer(NumbersModelSerializer):
    """One logged session. The patient comes from the signed-in patient, never from the body."""

    exercise = ScopedPrimaryKeyField(
        queryset=AssignedExercise.objects.select_related("assignment"),
        error_messages={"does_not_exist": "This exercise is not part of your plan."},
        help_text="An exercise of your own plan (see /api/v1/me/).",
    )
    assignment = serializers.IntegerField(source="exercise.assignment_id", read_only=True)
    date = serializers.DateField(required=False, help_text="Default: today in the clinic's time zone; "
                                                           "back-dating up to 14 days.")
    client_uuid = serializers.UUIDField(required=False, help_text="Makes a retry harmless; same as the "
                                                                  "Idempotency-Key header.")
    level = LevelField(source="step", help_text="The level in force on the session's date, counted from 1 "
                                                "(= `step` + 1); null without a ladder.")

    class Meta:
        model = SessionLog
        fields = ["id", "patient", "assignment", "exercise", "date", "step", "level", "completed", "duration_min",
                  "speed_kmh", "incline_pct", "sets", "reps", "hold_seconds", "pain_during", "pain_after", "rpe",
                  "notes", "client_uuid", "created_at"]
        read_only_fields = ["id", "patient", "assignment", "step", "created_at"]
        extra_kwargs = {"step": {"help_text": f"Ladder step in force on the session's date, {ZERO_BASED}; null "
                                              "without a ladder. People read `level`."}}


class CheckInSerializer(NumbersModelSerializer):
    date = serializers.DateField(required=False, help_text="Default: today in the clinic's time zone.")

    class Meta:
        model = MorningCheckIn
        fields = ["id", "patient", "date", "pain", "client_uuid", "created_at", "updated_at"]
        read_only_fields = ["id", "patient", "client_uuid", "created_at", "updated_at"]

    def validate_date(self, value):
        if self.instance is not None and value != self.instance.date:
            raise serializers.ValidationError("A check-in's date cannot change; record one for that day instead.")
        return value


class MeasurementSerializer(NumbersModelSerializer):
    patient = ScopedPrimaryKeyField(queryset=Patient.objects.all())
    date = serializers.DateField(required=False, validators=[ClinicDateValidator(MEASUREMENT_DATES)],
                                 help_text="Default: today in the clinic's time zone; at most 5 years back.")

    class Meta:
        model = Measurement
        fields = ["id", "patient", "date", "effusion", "quad_lsi_pct", "hop_lsi_pct", "rom_pct", "running_signoff",
                  "recorded_by", "created_at"]
        read_only_fields = ["id", "recorded_by", "created_at"]


class FlagSerializer(NumbersModelSerializer):
    exercise_name = serializers.CharField(source="exercise.name", read_only=True)
    rules = serializers.ListField(child=serializers.CharField(), read_only=True)
    evidence = serializers.DictField(read_only=True, help_text="What the check saw, by name (its `step` is "
                                                               f"{ZERO_BASED}).")
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True,
                                    help_text="Why, for people: levels counted from 1, dates in words.")
    suggested_level = LevelField(source="suggested_step")
    # Declared, so that "" (no engine decision) stays part of the documented choices of this read-only field.
    decision = serializers.ChoiceField(choices=Flag._meta.get_field("decision").choices, allow_blank=True,
                                       read_only=True)

    class Meta:
        model = Flag
        fields = ["id", "patient", "exercise", "exercise_name", "kind", "severity", "status", "decision",
                  "suggested_step", "suggested_level", "rules", "reasons", "evidence", "created_at", "updated_at",
                  "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolution_note"]
        read_only_fields = fields
        extra_kwargs = {"suggested_step": {"help_text": f"The step a progression suggests, {ZERO_BASED}; null for "
                                                        "other flags. People read `suggested_level`."}}


class FlagDeclineSerializer(ApiSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)


class FlagResolveSerializer(ApiSerializer):
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, help_text="How this was resolved.")


# ---------------------------------------------------------------------------
# GET /me/: the signed-in patient's profile and plan for today
# ---------------------------------------------------------------------------


class PlanExerciseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    frequency_per_week = serializers.IntegerField()
    sets = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField(allow_null=True)
    hold_seconds = serializers.IntegerField(allow_null=True)
    duration_min = serializers.IntegerField(allow_null=True)
    instructions = serializers.CharField()
    safety_notes = serializers.CharField()
    notes = serializers.CharField()
    current_step = serializers.IntegerField(allow_null=True, help_text=f"Current ladder step, {ZERO_BASED}; null "
                                                                       "without a ladder. People read `current_level`.")
    current_level = LevelField(source="current_step")
    ladder_size = serializers.IntegerField(allow_null=True, help_text="How many levels the ladder has.")
    level_in_words = serializers.SerializerMethodField(help_text='e.g. "level 5 of 9"; empty without a ladder.')
    speed_kmh = serializers.DecimalField(source="step_speed", max_digits=4, decimal_places=1, allow_null=True,
                                         coerce_to_string=False, help_text="Today's load: speed.")
    incline_pct = serializers.DecimalField(source="step_incline", max_digits=4, decimal_places=1, allow_null=True,
                                           coerce_to_string=False, help_text="Today's load: incline.")
    step_duration_min = serializers.IntegerField(source="step_duration", allow_null=True,
                                                 help_text="Today's load: duration.")
    load_in_words = serializers.SerializerMethodField()
    logged_today = serializers.SerializerMethodField()

    def get_load_in_words(self, exercise) -> str:
        return step_in_words(exercise)

    def get_level_in_words(self, exercise) -> str:
        return format_level(exercise.current_step, exercise.ladder_size)

    def get_logged_today(self, exercise) -> bool:
        return exercise.pk in self.context.get("logged_today", ())


class PlanSerializer(serializers.Serializer):
    assignment = serializers.IntegerField(source="assignment.pk")
    protocol_name = serializers.CharField(source="assignment.protocol_name")
    start_date = serializers.DateField(source="assignment.start_date")
    sessions_per_week = serializers.IntegerField(source="planned_days", help_text="Planned training days a week.")
    phase_name = serializers.CharField()
    week_start = serializers.DateField()
    days_trained_this_week = serializers.IntegerField()
    exercises = PlanExerciseSerializer(many=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="patient.pk")
    first_name = serializers.CharField(source="patient.first_name")
    last_name = serializers.CharField(source="patient.last_name")
    condition = serializers.CharField(source="patient.condition")
    side = serializers.CharField(source="patient.side")
    surgery_date = serializers.DateField(source="patient.surgery_date", allow_null=True)
    therapist_name = serializers.CharField(allow_blank=True)
    clinic = serializers.CharField(source="patient.clinic.name")
    today = serializers.DateField(help_text="Today in the clinic's time zone.")
    plan = PlanSerializer(allow_null=True, help_text="Null when no protocol is assigned.")
    generated_at = UTCDateTimeField()
