"""Print a new VAPID key pair as environment lines (for .env or the secret store); nothing is written to disk."""

from django.core.management.base import BaseCommand

from reminders.push import vapid_key_pair


class Command(BaseCommand):
    help = "Generate a VAPID key pair for Web Push reminders and print it as environment variables."

    def handle(self, *args, **options):
        public, private = vapid_key_pair()
        self.stdout.write(f"WEBPUSH_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={private}")
        self.stdout.write("WEBPUSH_VAPID_SUBJECT=mailto:you@your-clinic.example")
