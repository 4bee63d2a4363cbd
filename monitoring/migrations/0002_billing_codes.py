"""The RTM codes and thresholds as data: those in force before 2026 and from 1 January 2026.

From ../shared/docs/interop.md ("Remote therapeutic monitoring (RTM), United
States"): AAPC on the 2026 CPT RTM codes; CMS MLN MM14250 as summarised by
vendors. A site administrator edits these rows in Django's admin when the
codes change (every January): close a row with "in force until" and add the
new year's row. Undoing this migration removes exactly these rows.
"""

import datetime as dt

from django.db import migrations

BEFORE_2026 = (dt.date(2022, 1, 1), dt.date(2025, 12, 31))
FROM_2026 = (dt.date(2026, 1, 1), None)
SOURCE_2026 = "interop.md: AAPC on the 2026 CPT RTM codes; CMS MLN MM14250 as summarised by vendors."
SOURCE_BEFORE = ("Before 2026 one device code (98977, 16 of 30 days) and one management pair (98980 for the first "
                 "20 minutes, 98981 for each additional 20), each with at least one interactive communication.")

CODES = [
    # code, counted_per, description, in force, thresholds, source
    ("98975", "episode", "Set-up and patient education, once per episode of care", BEFORE_2026,
     {"min_days": 16}, SOURCE_BEFORE + " Set-up needed 16 days of data in the first 30."),
    ("98977", "period", "Musculoskeletal device supply, per 30-day period: data on 16–30 days", BEFORE_2026,
     {"min_days": 16, "max_days": 30}, SOURCE_BEFORE),
    ("98980", "month", "Treatment management, first 20 minutes in the calendar month", BEFORE_2026,
     {"min_minutes": 20, "requires_interactive": True}, SOURCE_BEFORE),
    ("98981", "month_additional", "Treatment management, each additional 20 minutes in the month", BEFORE_2026,
     {"min_minutes": 20, "requires_interactive": True, "adds_to": "98980"}, SOURCE_BEFORE),
    ("98975", "episode", "Set-up and patient education, once per episode of care", FROM_2026, {},
     SOURCE_2026 + " No threshold is stated; vendors say 2 days of data from 2026, which is unverified: set "
     "'days with data, at least' here once it is."),
    ("98977", "period", "Musculoskeletal device supply, per 30-day period: data on 16–30 days", FROM_2026,
     {"min_days": 16, "max_days": 30}, SOURCE_2026),
    ("98985", "period", "Musculoskeletal device supply, per 30-day period: data on 2–15 days (new 2026)", FROM_2026,
     {"min_days": 2, "max_days": 15, "excludes": "98977"}, SOURCE_2026 + " Never with 98977 for the same period."),
    ("98979", "month", "Treatment management, first 10 minutes in the calendar month (new 2026)", FROM_2026,
     {"min_minutes": 10, "requires_interactive": True, "excludes": "98980 98981"},
     SOURCE_2026 + " Never with 98980 or 98981 in the same month."),
    ("98980", "month", "Treatment management, first 20 minutes in the calendar month", FROM_2026,
     {"min_minutes": 20, "requires_interactive": True}, SOURCE_2026),
    ("98981", "month_additional", "Treatment management, each additional 20 minutes in the month", FROM_2026,
     {"min_minutes": 20, "requires_interactive": True, "adds_to": "98980"}, SOURCE_2026),
]


def load(apps, schema_editor):
    BillingCode = apps.get_model("monitoring", "BillingCode")
    for code, counted_per, description, (start, end), thresholds, source in CODES:
        BillingCode.objects.update_or_create(
            code=code, effective_from=start,
            defaults={"counted_per": counted_per, "description": description, "effective_to": end, "source": source,
                      "min_days": None, "max_days": None, "min_minutes": None, "requires_interactive": False,
                      "adds_to": "", "excludes": "", **thresholds},
        )


def unload(apps, schema_editor):
    BillingCode = apps.get_model("monitoring", "BillingCode")
    for code, _counted_per, _description, (start, _end), _thresholds, _source in CODES:
        BillingCode.objects.filter(code=code, effective_from=start).delete()


class Migration(migrations.Migration):

    dependencies = [("monitoring", "0001_rtm")]

    operations = [migrations.RunPython(load, unload)]
