"""`manage.py seed_demo`: load demo clinics, staff, patients and weeks of history (never in production)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from patients.demo import DEMO_CLINICS, DemoSeedRefused, DemoSummary, demo_seed


class Command(BaseCommand):
    help = (
        "Install the built-in library, then (re)build the Demo Clinic and Northside Physio with staff, patients "
        "and weeks of history relative to today. Safe to run again; refused when DJANGO_ENV=production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-missing", action="store_true",
            help="Do nothing when the demo clinics already exist (keeps what you entered; `make run` uses this).",
        )

    def handle(self, *args, if_missing: bool = False, **options) -> None:
        """Seed the demo data and print row counts and the demo logins (never any health values)."""
        if if_missing and Clinic.objects.filter(slug__in=[c.slug for c in DEMO_CLINICS]).count() == len(DEMO_CLINICS):
            self.stdout.write("Demo clinics already there; leaving them as they are (run seed_demo to rebuild).")
            return
        try:
            summary = demo_seed()
        except DemoSeedRefused as refused:
            raise CommandError(str(refused)) from refused
        # monitoring builds on patients: imported here, as a load-time import would make the two apps import
        # each other (tests/test_architecture.py).
        from monitoring.demo import demo_monitoring_seed
        from outcomes.demo import demo_outcomes_seed  # outcomes builds on patients: same reason

        demo_outcomes_seed(summary=summary)
        demo_monitoring_seed(summary=summary)
        self.stdout.write(self.style.SUCCESS(summarise(summary)))


def summarise(summary: DemoSummary) -> str:
    lines = []
    for clinic, counts in summary.clinics.items():
        lines.append(f"{clinic}: " + ", ".join(f"{value} {name}" for name, value in counts.items()))
    lines.append("Demo logins (password after the slash): " + "; ".join(f"{e} / {p}" for e, p in summary.logins))
    return "\n".join(lines)
