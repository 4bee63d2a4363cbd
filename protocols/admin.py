from django.contrib import admin

from protocols.models import ExerciseTemplate, LadderStep, Phase, PrescribedExercise, Protocol


@admin.register(ExerciseTemplate)
class ExerciseTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "clinic", "updated_at"]
    list_filter = ["kind", "clinic"]
    search_fields = ["name", "slug"]
    fieldsets = (
        (None, {"fields": ("clinic", "slug", "name", "kind", "cloned_from")}),
        ("Treadmill load", {"fields": (
            ("default_speed_kmh", "default_incline_pct", "default_duration_min"),
            ("speed_step_kmh", "incline_step_pct", "duration_step_min"),
            ("max_speed_kmh", "max_incline_pct", "max_duration_min"),
            "handrail",
        )}),
        ("Sets and reps", {"fields": (("default_sets", "default_reps", "default_hold_seconds"),)}),
        ("For the patient", {"fields": ("instructions", "safety_notes")}),
    )


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "clinic", "sessions_per_week", "is_archived", "updated_at"]
    list_filter = ["condition", "is_archived", "clinic"]
    search_fields = ["name", "slug"]
    inlines = [PhaseInline]


class LadderStepInline(admin.TabularInline):
    model = LadderStep
    extra = 0


@admin.register(PrescribedExercise)
class PrescribedExerciseAdmin(admin.ModelAdmin):
    list_display = ["template", "phase", "order", "frequency_per_week"]
    list_filter = ["template__kind"]
    list_select_related = ["template", "phase__protocol"]
    inlines = [LadderStepInline]
