"""Django's admin of the RTM billing codes: site administrators edit the codes and thresholds each January.

Only the rules are here. Episodes, time entries and timers are patient data,
reached through the clinic's own audited pages, never through this admin.
"""

from django.contrib import admin

from monitoring.models import BillingCode


@admin.register(BillingCode)
class BillingCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "counted_per", "min_days", "max_days", "min_minutes", "requires_interactive",
                    "excludes", "effective_from", "effective_to"]
    list_filter = ["counted_per", "effective_from"]
    search_fields = ["code", "description"]
    ordering = ["-effective_from", "code"]
    fieldsets = [
        (None, {"fields": ["code", "description", "counted_per"]}),
        ("Thresholds", {"fields": ["min_days", "max_days", "min_minutes", "requires_interactive", "adds_to",
                                   "excludes"]}),
        ("In force", {"fields": ["effective_from", "effective_to"],
                      "description": "Codes change every January: end the old row on 31 December and add the "
                                     "new year's row from 1 January. A period is judged by the rows in force on "
                                     "its last day, a month on its last day, a set-up on its date."}),
        ("Source", {"fields": ["source"]}),
    ]
