"""A change time on patients, session logs, measurements and plans (FHIR meta.lastUpdated, _lastUpdated,
Bulk `_since`). Existing rows take their creation time: nothing older records when they last changed.

Numbered 0011 because two branches add patients 0009 and 0010; the dependency names the latest
migration this branch has and is re-pointed at merge.
"""

from django.db import migrations, models
from django.db.models import F
from django.utils import timezone

MODELS = ("Patient", "SessionLog", "Measurement", "Assignment")


def from_created_at(apps, schema_editor):
    for name in MODELS:
        apps.get_model("patients", name).objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0010_outcome_flags"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient", name="updated_at",
            field=models.DateTimeField(auto_now=True, default=timezone.now), preserve_default=False,
        ),
        migrations.AddField(
            model_name="sessionlog", name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True, default=timezone.now), preserve_default=False,
        ),
        migrations.AddField(
            model_name="measurement", name="updated_at",
            field=models.DateTimeField(auto_now=True, default=timezone.now), preserve_default=False,
        ),
        migrations.AddField(
            model_name="assignment", name="updated_at",
            field=models.DateTimeField(auto_now=True, default=timezone.now), preserve_default=False,
        ),
        migrations.RunPython(from_created_at, migrations.RunPython.noop, elidable=True),
    ]
