"""python manage.py simulate_progression PATH|-

A JSON object in gives one decision object out; a JSON array gives an array,
with {"error": {"field": ..., "message": ...}} in place of each invalid item.
Exits 2 with a message when the file cannot be read or is not JSON.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from protocols.simulator import simulate


class Command(BaseCommand):
    help = "Run the progression engine on JSON input (a file, or - for standard input) and print the decision."

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSON file with one input object or an array of them; - for stdin")

    def handle(self, *args, path, **options):
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}", returncode=2) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"{path} is not valid JSON: {error.msg} (line {error.lineno})", returncode=2) from None
        self.stdout.write(json.dumps(simulate(data), indent=2, ensure_ascii=False))
