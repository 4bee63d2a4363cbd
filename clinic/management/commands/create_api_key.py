"""python manage.py create_api_key --clinic "<clinic name>" --name <label> [--expires-days N]

Prints the new key once, alone on the last line: it is stored only as a hash.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from clinic.services import api_key_create


class Command(BaseCommand):
    help = "Create a read-only API key for a clinic's reporting system and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="the clinic's name (or slug)")
        parser.add_argument("--name", required=True, help="a label, e.g. the system that will use the key")
        parser.add_argument("--expires-days", type=int, default=None, help="days until the key expires")

    def handle(self, *args, clinic, name, expires_days, **options):
        found = Clinic.objects.filter(name__iexact=clinic).first() or Clinic.objects.filter(slug=clinic).first()
        if found is None:
            raise CommandError(f'No clinic named "{clinic}".')
        try:
            key, raw = api_key_create(clinic=found, name=name, expires_days=expires_days)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        expiry = f"expires {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else "does not expire"
        self.stdout.write(f'API key "{key.name}" for {found.name} ({expiry}). It is shown only once:')
        self.stdout.write(raw)
