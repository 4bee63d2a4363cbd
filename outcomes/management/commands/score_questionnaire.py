"""`manage.py score_questionnaire <instrument> --answers '{"P1": 2}'`: every score, or why it cannot be scored.

Pure: reads no database and writes nothing (outcomes.scoring). Answers come from --answers, --file
(a JSON file) or standard input, as a JSON object of item id to value (null = unanswered). Prints
the scores as JSON; exits non-zero, saying what is wrong, for an unknown instrument, item or value.
`--describe` prints the instrument's item ids, allowed values and scale rules instead.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from outcomes import instruments
from outcomes.scoring import InvalidAnswers, score
from outcomes.scoring import describe as describe_instrument

MAX_INPUT = 64 * 1024


class Command(BaseCommand):
    help = "Score a questionnaire from answers by item id; print every scale's score (or the reason) as JSON."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("instrument", help="Instrument id: " + ", ".join(
            i.id for i in instruments.all_instruments()))
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--answers", help='JSON object of item id to value, e.g. \'{"P1": 2, "P2": null}\'.')
        source.add_argument("--file", help="A file holding that JSON object ('-' for standard input).")
        source.add_argument("--describe", action="store_true",
                            help="Print the instrument's items (ids, allowed values) and scales instead.")

    def handle(self, *args, instrument: str, answers: str | None = None, file: str | None = None,
               describe: bool = False, **options):
        try:
            chosen = instruments.get(instrument)
        except instruments.UnknownInstrument as error:
            raise CommandError(f"{error} Known: {', '.join(i.id for i in instruments.all_instruments())}.") \
                from None
        if describe:
            self.stdout.write(json.dumps(describe_instrument(chosen), indent=2, ensure_ascii=False))
            return
        raw = answers if answers is not None else self._read(file)
        try:
            parsed = json.loads(raw)
        except ValueError as error:
            raise CommandError(f"The answers are not valid JSON: {error}.") from None
        try:
            result = score(chosen, parsed)
        except InvalidAnswers as error:
            raise CommandError(f"Item {error.item_id}: {error.message}") from None
        self.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))

    def _read(self, file: str | None) -> str:
        try:
            if file in (None, "-"):
                text = sys.stdin.read(MAX_INPUT + 1)
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read(MAX_INPUT + 1)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read the answers: {error}.") from None
        if len(text) > MAX_INPUT:
            raise CommandError(f"The answers are longer than {MAX_INPUT // 1024} KB.")
        return text
