"""python manage.py bench [--scale S] [--runs N] [--out bench-results.json] [--years N] [--compare-years 1,5]

Builds the deterministic bench clinics (wiping only their own rows), times the
adherence report against its one-query SQL floor, the therapist's patient
list, the patient's today page, session logging over HTTP on gunicorn against
/healthz, the nightly sweep (a real Celery worker when REDIS_URL is set,
eager otherwise) and the engine alone; prints a table with each figure next
to its target or floor and writes the JSON. See the bench package.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.load import BenchError
from bench.runner import Options, run


class Command(BaseCommand):
    help = "Benchmark Backstep on a deterministic year-sized clinic and write bench-results.json."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0,
                            help="data size: 1 = 1,000 patients over a year and 10,000 assignments to sweep")
        parser.add_argument("--runs", type=int, default=5, help="measured runs per figure, after one warm-up")
        parser.add_argument("--out", default="bench-results.json", help="where to write the JSON results")
        parser.add_argument("--http-seconds", type=float, default=None,
                            help="seconds of load per HTTP run (default 20 at scale 1, less at smaller scales)")
        parser.add_argument("--concurrency", type=int, default=8, help="concurrent connections of the load generator")
        parser.add_argument("--skip-http", action="store_true", help="do not start gunicorn or post sessions")
        parser.add_argument("--skip-sweep", action="store_true", help="do not time the nightly sweep")
        parser.add_argument("--skip-phone", action="store_true",
                            help="do not measure today's page in Chromium on a throttled network")
        parser.add_argument("--seed", type=int, default=None, help="random seed of the data (default: fixed)")
        parser.add_argument("--years", type=int, default=1,
                            help="years of history per Bench Clinic patient (earlier plans completed; default 1)")
        parser.add_argument("--compare-years", default="",
                            help="e.g. 1,5: measure the report, the pages and the FHIR/API lists on a clinic with "
                                 "each many years of history (the JSON's \"years\" section), then run everything "
                                 "else on the fewest")

    def handle(self, *args, scale, runs, out, http_seconds, concurrency, skip_http, skip_sweep, skip_phone, seed,
               years, compare_years, **options):
        if settings.DJANGO_ENV == "production":
            raise CommandError(
                "The bench wipes and rebuilds its own clinics; it never runs with DJANGO_ENV=production.")
        if scale <= 0 or runs < 1 or concurrency < 1:
            raise CommandError("--scale must be above 0, --runs and --concurrency at least 1.")
        try:
            compared = tuple(sorted({int(n) for n in compare_years.split(",") if n.strip()}))
        except ValueError:
            raise CommandError("--compare-years takes whole numbers separated by commas, e.g. 1,5.") from None
        if years < 1 or any(n < 1 for n in compared) or len(compared) == 1:
            raise CommandError("--years must be at least 1; --compare-years needs two or more numbers of years, "
                               "each at least 1.")
        options = Options(scale=scale, runs=runs, out=Path(out), http_seconds=http_seconds, concurrency=concurrency,
                          skip_http=skip_http, skip_sweep=skip_sweep, skip_phone=skip_phone, seed=seed, years=years,
                          compare_years=compared)
        try:
            run(options, self.stdout, self.stderr)
        except BenchError as error:
            raise CommandError(str(error)) from None
