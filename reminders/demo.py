"""Demo reminders: the Demo Clinic's defaults, the login patient's own choice, and a week of sent reminders.

Called by `manage.py seed_demo` after patients.demo has rebuilt the demo
patients (rebuilding deletes their reminder rows with them). For local
development and demonstrations only. Northside Physio is left on the built-in
defaults: its admin sees the form with nothing changed yet.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from clinic.clock import clinic_now
from clinic.models import Clinic
from patients.models import Patient
from reminders.models import ClinicReminderDefaults, ReminderDelivery, ReminderPreference

DEMO_CLINIC_SLUG = "demo-clinic"
LOGIN_EMAIL = "patient@demo.clinic"


@transaction.atomic
def demo_reminders_seed(*, summary=None) -> dict[str, int]:
    """Clinic defaults (e-mail on), the login patient's preference, and the deliveries of the past week."""
    clinic = Clinic.objects.filter(slug=DEMO_CLINIC_SLUG).first()
    if clinic is None:
        return {}
    ClinicReminderDefaults.objects.update_or_create(clinic=clinic, defaults={
        "training_time": dt.time(18, 0), "training_weekdays": "024", "checkin_time": dt.time(8, 0),
        "nudge_after_days": 3, "email_enabled": True})
    patient = Patient.objects.filter(clinic=clinic, user__email=LOGIN_EMAIL).first()
    if patient is not None:
        ReminderPreference.objects.update_or_create(patient=patient, defaults={
            "training_time": dt.time(7, 30), "training_weekdays": "0246", "checkin_time": dt.time(7, 0),
            "quiet_start": dt.time(22, 0), "quiet_end": dt.time(6, 30), "email_enabled": True})
        now = clinic_now(clinic)
        for days_ago in range(1, 8):
            day = now.date() - dt.timedelta(days=days_ago)
            ReminderDelivery.objects.get_or_create(
                patient=patient, kind="checkin", local_date=day, channel="email",
                defaults={"status": "sent", "created_at": now - dt.timedelta(days=days_ago),
                          "sent_at": now - dt.timedelta(days=days_ago)})
    counts = {"reminders sent (past week)": ReminderDelivery.objects.filter(patient__clinic=clinic).count()}
    if summary is not None and clinic.name in summary.clinics:
        summary.clinics[clinic.name].update(counts)
    return counts
