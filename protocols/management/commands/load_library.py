"""`manage.py load_library`: install or update Backstep's built-in exercise library and protocols."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from protocols.services import CREATED, UNCHANGED, UPDATED, LibraryReport, library_install


class Command(BaseCommand):
    help = (
        "Install or update Backstep's built-in exercise templates and protocols (rows with no clinic). "
        "Safe to run again: unchanged rows are left alone and clinics' own rows are never touched."
    )

    def handle(self, *args, **options) -> None:
        """Run the library installer and print what changed."""
        report = library_install()
        self.stdout.write(self.style.SUCCESS(summarise(report)))


def summarise(report: LibraryReport) -> str:
    """One line per kind: how many rows were created, updated and left unchanged."""
    lines = []
    for kind, label in (("templates", "Exercise templates"), ("protocols", "Protocols")):
        counts = ", ".join(f"{report.count(kind, status)} {status}" for status in (CREATED, UPDATED, UNCHANGED))
        lines.append(f"{label}: {counts}.")
    return "\n".join(lines)
