"""Django's admin of patient data, for site administrators. Every page here is on the audit trail, filed
under the clinic whose patients it showed (clinic.audit.AuditedModelAdmin)."""

from django.contrib import admin

from clinic.audit import AuditedModelAdmin
from patients.models import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    Flag,
    Measurement,
    MorningCheckIn,
    Patient,
    PhaseVersion,
    SessionLog,
    StepVersion,
)


@admin.register(Patient)
class PatientAdmin(AuditedModelAdmin):
    list_display = ["__str__", "clinic", "condition", "side", "therapist", "external_ref"]
    list_filter = ["clinic", "condition"]
    search_fields = ["first_name", "last_name", "external_ref", "email"]
    list_select_related = ["clinic", "therapist"]
    raw_id_fields = ["user", "therapist"]


class AssignedPhaseInline(admin.TabularInline):
    model = AssignedPhase
    extra = 0


@admin.register(Assignment)
class AssignmentAdmin(AuditedModelAdmin):
    list_display = ["__str__", "status", "start_date", "end_date", "sessions_per_week"]
    list_filter = ["status", "condition"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "protocol", "assigned_by"]
    inlines = [AssignedPhaseInline]


class AssignedLadderStepInline(admin.TabularInline):
    model = AssignedLadderStep
    extra = 0


class StepVersionInline(admin.TabularInline):
    """Step history is append-only: shown, never edited here."""

    model = StepVersion
    extra = 0
    can_delete = False
    readonly_fields = ["step", "effective_date", "source", "changed_by", "rules", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AssignedExercise)
class AssignedExerciseAdmin(AuditedModelAdmin):
    list_display = ["name", "assignment", "kind", "current_step"]
    list_filter = ["kind"]
    readonly_fields = ["current_step"]
    inlines = [AssignedLadderStepInline, StepVersionInline]


@admin.register(StepVersion)
class StepVersionAdmin(AuditedModelAdmin):
    list_display = ["exercise", "step", "effective_date", "source", "created_at"]
    list_filter = ["source"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PhaseVersion)
class PhaseVersionAdmin(StepVersionAdmin):
    list_display = ["assignment", "phase", "effective_date", "source", "created_at"]


@admin.register(SessionLog)
class SessionLogAdmin(AuditedModelAdmin):
    list_display = ["__str__", "patient", "date", "completed", "duration_min"]
    list_filter = ["completed"]
    date_hierarchy = "date"
    raw_id_fields = ["patient", "exercise"]


@admin.register(MorningCheckIn)
class MorningCheckInAdmin(AuditedModelAdmin):
    list_display = ["__str__", "patient", "date"]
    date_hierarchy = "date"
    raw_id_fields = ["patient"]


@admin.register(Measurement)
class MeasurementAdmin(AuditedModelAdmin):
    list_display = ["__str__", "patient", "date", "effusion", "running_signoff"]
    list_filter = ["effusion", "running_signoff"]
    raw_id_fields = ["patient", "recorded_by"]


@admin.register(Flag)
class FlagAdmin(AuditedModelAdmin):
    list_display = ["__str__", "patient", "kind", "severity", "status", "created_at"]
    list_filter = ["status", "severity", "kind"]
    raw_id_fields = ["patient", "exercise", "acknowledged_by", "resolved_by"]
