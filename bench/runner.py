"""Measure, compare with the targets of issue 8, print the table and write bench-results.json."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import floor as floor_sql
from bench import phone
from bench.data import BenchData, build
from bench.export import export_once
from bench.load import (
    BenchError,
    Gunicorn,
    healthz_maker,
    run_load,
    session_post_maker,
    shareable_database,
    signed_in_patients,
)
from bench.progress import Progress
from bench.sweep import CeleryWorker, engine_inputs_for, engine_rate, sweep_once

REPORT_DAYS = 365  # the one-year window: today and the 364 days before it

# Every figure the JSON holds (the median at the top level; min, max and each run under "stats").
FIGURES = (
    "report_ms", "report_queries", "report_sql_floor_ms", "report_ratio", "rtm_report_ms", "rtm_report_queries",
    "dashboard_ms", "dashboard_queries", "dashboard_queries_1_row",
    "today_ms", "today_queries", "today_queries_8_weeks", "session_post_queries",
    "patient_page_ms", "patient_page_queries", "fhir_observations_ms", "fhir_observations_queries",
    "api_sessions_ms", "api_sessions_queries",
    "session_post_rps", "session_post_p50_ms", "session_post_p95_ms", "session_post_errors",
    "floor_rps", "session_post_ratio",
    "sweep_s", "sweep_per_s", "engine_per_s", "export_ms", "export_peak_mib",
    *phone.PHONE_FIGURES,
)
# Issue 21: the figures measured at each --compare-years (1 and 5 years of history per patient), side by side.
YEARS_FIGURES = ("report_ms", "report_sql_floor_ms", "report_ratio", "report_queries", "dashboard_ms",
                 "dashboard_queries", "patient_page_ms", "patient_page_queries", "today_ms", "today_queries",
                 "fhir_observations_ms", "fhir_observations_queries", "api_sessions_ms", "api_sessions_queries")
# What must not grow with the years: the pages and the one-year report (time: at most this factor from the
# fewest years to the most, medians; queries: the same count). The FHIR and API lists are patient-scoped
# pages with a total count over the patient's whole history: reported, with the same bound.
YEARS_GROWTH_MAX = 1.25
YEARS_BOUNDED = ("report_ms", "dashboard_ms", "patient_page_ms", "today_ms", "fhir_observations_ms",
                 "api_sessions_ms")
YEARS_CONSTANT = ("report_queries", "dashboard_queries", "patient_page_queries", "today_queries",
                  "fhir_observations_queries", "api_sessions_queries")
HTTP_FIGURES = ("session_post_rps", "session_post_p50_ms", "session_post_p95_ms", "session_post_errors",
                "floor_rps", "session_post_ratio")
SWEEP_FIGURES = ("sweep_s", "sweep_per_s")


@dataclass(frozen=True)
class Target:
    figure: str
    op: str  # "<=", ">=" or "=="
    value: float
    why: str = ""

    def met(self, measured: float | None) -> bool | None:
        if measured is None:
            return None
        return {"<=": measured <= self.value, ">=": measured >= self.value, "==": measured == self.value}[self.op]

    @property
    def text(self) -> str:
        return f"{self.op} {self.value:g}"


# Every target says what limits it, written into the JSON as the reason when it is missed.
TARGETS = (
    # Issue 21: the report within 1.3x its one-query floor (issue 8 asked for 2.0).
    # The floor is the statement the API itself runs (patients.adherence_sql), so the ratio is what the API adds.
    Target("report_ratio", "<=", 1.3, "the floor is the report's own SQL statement (patients.adherence_sql) "
                                      "read on a raw cursor; the API also authenticates the key, compiles the "
                                      "tenancy filter into it, rounds each row's figures (patients.adherence), "
                                      "writes JSON and its audit event: on a busy shared machine that fixed "
                                      "work can pass 0.3x (docs/performance-years.md)"),
    Target("report_queries", "<=", 5, "the key, the report's one statement and its audit event: BEGIN, two "
                                      "INSERTs (the event, its patients) and COMMIT make six"),
    # The key; the episodes, the days (one UNION), the minutes, the rules; the audit event and its patients (one
    # statement on PostgreSQL; BEGIN, two INSERTs, COMMIT on SQLite). Constant whatever the clinic's size.
    Target("rtm_report_queries", "<=", 9, "a query was added to the RTM report"),
    Target("dashboard_ms", "<=", 150, "the page's queries and rendering of 50 rows; see load_average_after: "
                                      "the machine is shared"),
    Target("dashboard_queries", "<=", 15, "a query was added to the patient list"),
    Target("today_queries", "<=", 15, "a query was added to the today page"),
    # Issue 21: queries per logged session: the session row, the user, BEGIN, the plan's exercises, the
    # idempotency check, the step in force, the insert (in a savepoint: three), the audit event, COMMIT. Was 13:
    # the membership (none, for a patient) and the patient record come from the caller cache now
    # (clinic.tenancy.cached_actor), read from the database only when the cache is cold, changed or down.
    Target("session_post_queries", "<=", 11, "a query was added to POST /log/ (or the caller cache was cold or "
                                             "skipped: clinic/access_cache.py)"),
    Target("session_post_p95_ms", "<=", 100, "two sync gunicorn workers, PostgreSQL, Redis and the load "
                                             "generator share the machine's cores; see load_average_after"),
    Target("session_post_errors", "==", 0, "some posts were not answered 201; see http.statuses"),
    # Profiled in-process on the bench data (4 December 2026): a post costs about 12 ms of one core against 1.7 ms
    # for /healthz: ~4.5 ms waiting on PostgreSQL (11 statements, a durable COMMIT), ~2 ms handing the
    # progression check to Redis after the commit (in a thread, bounded for a hung broker), the rest Django's
    # ORM building those statements and the form. 0.4 needs about 4.4 ms a post.
    Target("session_post_ratio", ">=", 0.4, "a logged session is 11 statements in one transaction (one durable "
                                            "COMMIT) and a task published after it, about 12 ms of a core "
                                            "in-process against 1.7 ms for /healthz's one query; on 2 shared "
                                            "cores, posts/s follow the cores the database and the load generator "
                                            "leave (see load_average_after)"),
    Target("sweep_per_s", ">=", 500, "the Celery worker shares the machine; see load_average_after"),
    # Issue 15: today's page on a throttled phone (bench/phone.py), production settings.
    Target("phone_first_kib", "<=", 50, "the first visit's page or static files grew"),
    Target("phone_first_lcp_ms", "<=", 1500, "the throttled network or a busy machine; see load_average_after"),
    Target("phone_repeat_kib", "<=", 10, "the service worker re-fetched files it should keep"),
    Target("phone_offline_ms", "<=", 300, "the service worker's cached page was slow to paint on a busy machine"),
)


@dataclass
class Options:
    scale: float = 1.0
    runs: int = 5
    out: Path = Path("bench-results.json")
    http_seconds: float | None = None
    concurrency: int = 8
    skip_http: bool = False
    skip_sweep: bool = False
    skip_phone: bool = False
    seed: int | None = None
    years: int = 1  # of history per Bench Clinic patient
    compare_years: tuple[int, ...] = ()  # e.g. (1, 5): the history figures at each, then the rest at the first

    @property
    def load_seconds(self) -> float:
        """20 s at full scale; shorter for smaller scales (2 s in smoke mode), unless given."""
        if self.http_seconds is not None:
            return self.http_seconds
        return 20.0 if self.scale >= 1 else max(2.0, round(20.0 * self.scale, 1))


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def repeat(runs: int, measure: Callable[[], float]) -> list[float]:
    """One warm-up, then `runs` measured calls."""
    measure()
    return [measure() for _ in range(runs)]


class Bench:
    def __init__(self, options: Options, stdout: TextIO, stderr: TextIO):
        self.options = options
        self.stdout = stdout
        self.stderr = stderr
        self.stats: dict[str, dict] = {}
        self.notes: list[str] = []
        # A missed target's reason when this run knows better than the target's own (eager mode, ...).
        self.reasons: dict[str, str] = {}
        self.skipped: list[str] = []
        self.session_keys: list[str] = []
        self.http_info: dict = {}

    # -- helpers -----------------------------------------------------------

    def say(self, text: str) -> None:
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def record(self, figure: str, values: list[float]) -> None:
        self.stats[figure] = summary([round(v, 3) for v in values])

    def median(self, figure: str) -> float | None:
        return self.stats[figure]["median"] if figure in self.stats else None

    def client_for(self, user_id: int) -> Client:
        from clinic.models import User

        client = Client()
        client.force_login(User.objects.get(pk=user_id))
        self.session_keys.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
        return client

    def page(self, client: Client, path: str, figure: str, **headers) -> object:
        """Time GET `path` through the whole Django stack (warm-up + runs) and count its queries."""
        queries: list[int] = []
        response = None

        def once() -> float:
            nonlocal response
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(path, **headers)
                took = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                raise BenchError(f"GET {path} answered {response.status_code}")
            queries.append(len(captured))
            return took

        times = repeat(self.options.runs, once)
        self.record(f"{figure}_ms", times)
        self.record(f"{figure}_queries", queries[1:])
        return response

    def query_count(self, client: Client, path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}")
        return len(captured)

    # -- the measurements ----------------------------------------------------

    def history_figures(self, years: int, seed: dict) -> None:
        """--compare-years: build the clinic with `years` of history and take only the figures that must not
        grow with it (YEARS_FIGURES). The full bench then runs on a new build with the fewest years."""
        self.say(f"History: the Bench Clinic with {years} year{'s' if years != 1 else ''} of history per patient")
        data = build(scale=self.options.scale, progress=Progress(1, stream=self.stderr), years=years, **seed)
        kept, self.stats = self.stats, {}
        try:
            self.report(data)
            self.pages(data)
        finally:
            self.years_stats[years], self.stats = self.stats, kept
        self.years_builds[years] = self.build_info(data)
        self.load_after[f"history {years} years"] = round(os.getloadavg()[0], 2)

    @staticmethod
    def build_info(data: BenchData) -> dict:
        return {"build_s": round(data.build_s, 2), "rows": data.counts["year clinic"],
                "fingerprint": data.fingerprint}

    def years_section(self) -> dict:
        """The history figures at each number of years, side by side, and how much each grew."""
        if not self.years_stats:
            return {}
        few, many = min(self.years_stats), max(self.years_stats)
        figures = {}
        for name in YEARS_FIGURES:
            values = {str(y): self.years_stats[y].get(name, {}).get("median") for y in sorted(self.years_stats)}
            row = {"by_years": values, "stats": {str(y): self.years_stats[y].get(name)
                                                 for y in sorted(self.years_stats)}}
            low, high = values[str(few)], values[str(many)]
            if low and high is not None:
                row["growth"] = round(high / low, 3)
                # The fastest runs too: on a shared machine the least disturbed estimate of the cost itself.
                fastest = [self.years_stats[y].get(name, {}).get("min") for y in (few, many)]
                if fastest[0]:
                    row["growth_of_fastest"] = round(fastest[1] / fastest[0], 3)
            figures[name] = row
        return {"compared": sorted(self.years_stats), "growth_max": YEARS_GROWTH_MAX, "figures": figures,
                "builds": {str(y): info for y, info in sorted(self.years_builds.items())},
                "note": f"each figure measured on a clinic built with that many years of history per patient "
                        f"(the one-year report window is the same); growth = median at {many} years / median at "
                        f"{few}, growth_of_fastest = the same for the fastest runs (the target); the other figures "
                        f"of this file were measured at {few} year(s)"}

    def years_targets(self, section: dict) -> dict:
        targets = {}
        if not section:
            return targets
        few, many = min(section["compared"]), max(section["compared"])
        for name in YEARS_BOUNDED:
            # Judged on the fastest runs: on a shared machine the medians of 3-5 runs move by half with the
            # load, while a cost that grows with the years shows in every run, the fastest too.
            growth = section["figures"][name].get("growth_of_fastest")
            met = None if growth is None else growth <= YEARS_GROWTH_MAX
            targets[f"years_{name}_growth"] = {
                "target": f"{name} at {many} years <= {YEARS_GROWTH_MAX:g} x at {few} (fastest runs)",
                "value": growth, "met": met,
                **({"reason": "the fastest run at the most years was slower: see years.figures (medians too), "
                              "machine.load_average_after, and the query counts and plans "
                              "(docs/performance-years.md)"} if met is False else {}),
            }
        for name in YEARS_CONSTANT:
            values = section["figures"][name]["by_years"]
            low, high = values[str(few)], values[str(many)]
            met = None if low is None or high is None else high <= low
            targets[f"years_{name}_constant"] = {"target": f"{name} at {many} years <= at {few}", "value": high,
                                                 "met": met}
        return targets

    def mode(self) -> tuple[str, str]:
        vendor = connection.vendor
        eager = bool(settings.CELERY_TASK_ALWAYS_EAGER)
        mode = f"{vendor}+{'eager' if eager else 'redis'}"
        parts = []
        parts.append("DATABASE_URL is set" if os.environ.get("DATABASE_URL") else "DATABASE_URL is unset: SQLite")
        parts.append("REDIS_URL is set: a real Celery worker runs the sweep" if not eager
                     else "REDIS_URL is unset: Celery runs eagerly in-process (the sweep too)")
        return mode, "; ".join(parts)

    def report(self, data: BenchData) -> None:
        """The one-year report over the API (API key, full stack) and its one-query floor, run in turns.

        Each API run is followed by a floor run, so both meet the same machine
        load; the floor's rows must equal the API's figures, or the bench stops.
        """
        start = data.today - dt.timedelta(days=REPORT_DAYS - 1)
        path = f"/api/v1/reports/adherence/?start={start}&end={data.today}"
        client = Client()
        auth = f"Api-Key {data.api_key_raw}"
        api_ms, floor_ms, queries = [], [], []
        response, floor_rows = None, None
        for run in range(self.options.runs + 1):  # run 0 is the warm-up
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(path, HTTP_AUTHORIZATION=auth)
                took = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                raise BenchError(f"GET {path} answered {response.status_code}")
            began = time.perf_counter()
            floor_rows = floor_sql.adherence_floor(clinic_id=data.clinic.pk, start=start, end=data.today,
                                                   today=data.today)
            floor_took = (time.perf_counter() - began) * 1000
            if run:
                api_ms.append(took)
                queries.append(len(captured))
                floor_ms.append(floor_took)
        api_rows = json.loads(response.content, parse_float=Decimal)["rows"]
        problems = floor_sql.mismatches(floor_sql.api_figures(api_rows), floor_sql.floor_figures(floor_rows))
        if problems:
            raise BenchError("the SQL floor disagrees with the API:\n  " + "\n  ".join(problems))
        self.notes.append(f"report: {len(api_rows)} rows; the SQL floor's figures equal the API's for all of them")
        self.record("report_ms", api_ms)
        self.record("report_queries", queries)
        self.record("report_sql_floor_ms", floor_ms)
        self.stats["report_ratio"] = summary([round(a / f, 3) for a, f in zip(api_ms, floor_ms)])
        # The headline is the ratio of the medians; the runs are the paired (same-moment) ratios.
        self.stats["report_ratio"]["median"] = round(self.median("report_ms") / self.median("report_sql_floor_ms"), 3)

    def rtm(self, data: BenchData) -> None:
        """The remote-monitoring report over the year (about twelve 30-day periods per patient), with an API key."""
        start = data.today - dt.timedelta(days=REPORT_DAYS - 1)
        response = self.page(Client(), f"/api/v1/reports/rtm/?start={start}&end={data.today}", "rtm_report",
                             HTTP_AUTHORIZATION=f"Api-Key {data.api_key_raw}")
        self.notes.append(f"rtm report: {len(json.loads(response.content)['rows'])} rows (patient and period)")

    def pages(self, data: BenchData) -> None:
        from patients.models import Patient

        therapist = self.client_for(data.dashboard_therapist_id)
        self.page(therapist, "/patients/", "dashboard")
        # The same page listing one patient (with a running plan, like most rows of the full page).
        mine = Patient.objects.filter(therapist_id=data.dashboard_therapist_id).order_by("pk")
        one = mine.filter(assignments__status="active").first() or mine.first()
        self.record("dashboard_queries_1_row", [self.query_count(therapist, f"/patients/?q={one.external_ref}")])
        patient = self.client_for(data.today_user_id)
        self.page(patient, "/today/", "today")
        short = self.client_for(data.today_small_user_id)
        self.query_count(short, "/today/")  # warm-up
        self.record("today_queries_8_weeks", [self.query_count(short, "/today/")])
        self.session_post_queries(data)
        self.patient_lists(data)

    def session_post_queries(self, data: BenchData) -> None:
        """Queries per logged session (POST /log/ as the HTTP runs send it), in-process: the warm-up, then runs."""
        user_id = data.posting[0][0]
        poster = signed_in_patients([user_id], self.session_keys)[0]
        post = session_post_maker([poster], data.today.isoformat(), 1)
        client = Client()
        counts = []
        for n in range(self.options.runs + 1):
            _method, path, body, headers = post(0, n)
            with CaptureQueriesContext(connection) as captured:
                response = client.generic("POST", path, body, content_type=headers["Content-Type"],
                                          HTTP_COOKIE=headers["Cookie"], HTTP_ACCEPT=headers["Accept"])
            if response.status_code != 201:
                raise BenchError(f"POST {path} answered {response.status_code}")
            if n:
                counts.append(len(captured))
        self.record("session_post_queries", counts)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.reasons["session_post_queries"] = ("eager mode (no REDIS_URL): each post also runs the progression "
                                                    "check inside the request, and the session is a database row")

    def patient_lists(self, data: BenchData) -> None:
        """The same patient's page (their therapist), FHIR Observations and API sessions (first pages, API key)."""
        from patients.models import Patient

        therapist_id = Patient.objects.values_list("therapist_id", flat=True).get(pk=data.today_patient_id)
        self.page(self.client_for(therapist_id), f"/patients/{data.today_patient_id}/", "patient_page")
        auth = {"HTTP_AUTHORIZATION": f"Api-Key {data.api_key_raw}"}
        self.page(Client(), f"/fhir/R4/Observation?patient={data.today_patient_id}", "fhir_observations", **auth)
        self.page(Client(), f"/api/v1/sessions/?patient={data.today_patient_id}", "api_sessions", **auth)

    def engine(self, data: BenchData) -> None:
        inputs = engine_inputs_for(data.sweep_clinic.pk, data.today)
        self.record("engine_per_s", repeat(self.options.runs, lambda: engine_rate(inputs)))
        self.notes.append(f"engine: {len(inputs)} preloaded inputs from the sweep clinic per run")

    def http(self, data: BenchData) -> None:
        if self.options.skip_http:
            self.skipped.append("http (--skip-http)")
            return
        if not shareable_database():
            self.skipped.append("http (an in-memory SQLite database cannot be shared with gunicorn)")
            return
        seconds, concurrency = self.options.load_seconds, self.options.concurrency
        posting = signed_in_patients([user_id for user_id, _p in data.posting], self.session_keys)
        self.say(f"HTTP: gunicorn with 2 workers, {len(posting)} signed-in patients, concurrency {concurrency}, "
                 f"{seconds:g} s per run")
        post = session_post_maker(posting, data.today.isoformat(), concurrency)
        from patients.models import SessionLog

        before = SessionLog.objects.filter(patient_id__in=[p for _u, p in data.posting]).count()
        created = 0
        posts, floors = [], []
        with Gunicorn(workers=2) as server:
            warm = run_load(port=server.port, make_request=post, expect=201, concurrency=concurrency,
                            seconds=min(2.0, seconds))
            created += warm.ok
            run_load(port=server.port, make_request=healthz_maker, expect=200, concurrency=concurrency,
                     seconds=min(1.0, seconds))
            for run in range(self.options.runs):
                result = run_load(port=server.port, make_request=post, expect=201, concurrency=concurrency,
                                  seconds=seconds)
                created += result.ok
                posts.append(result)
                floors.append(run_load(port=server.port, make_request=healthz_maker, expect=200,
                                       concurrency=concurrency, seconds=seconds))
                self.say(f"  run {run + 1}: POST /log/ {result.rps:.1f}/s p95 {result.percentile(95):.1f} ms, "
                         f"errors {result.errors}; GET /healthz {floors[-1].rps:.1f}/s")
        saved = SessionLog.objects.filter(patient_id__in=[p for _u, p in data.posting]).count() - before
        if saved != created:
            raise BenchError(f"{created} posts answered 201 but {saved} sessions were saved")
        self.record("session_post_rps", [r.rps for r in posts])
        self.record("session_post_p50_ms", [r.percentile(50) for r in posts])
        self.record("session_post_p95_ms", [r.percentile(95) for r in posts])
        self.record("session_post_errors", [r.errors for r in posts])
        self.stats["session_post_errors"]["median"] = sum(r.errors for r in posts)  # the total, not a median
        self.record("floor_rps", [r.rps for r in floors])
        self.stats["session_post_ratio"] = summary([round(p.rps / f.rps, 3) for p, f in zip(posts, floors)])
        ratio = self.median("session_post_rps") / self.median("floor_rps")
        self.stats["session_post_ratio"]["median"] = round(ratio, 3)
        statuses: dict[str, int] = {}
        for result in posts + floors:
            for status, count in result.statuses.items():
                statuses[str(status)] = statuses.get(str(status), 0) + count
        self.http_info = {"seconds_per_run": seconds, "concurrency": concurrency, "gunicorn_workers": 2,
                          "patients": len(posting), "posts": sum(r.requests for r in posts),
                          "healthz": sum(r.requests for r in floors), "statuses": statuses}
        self.notes.append(f"session posts: {saved} sessions saved, one per 201 answer; each POST is a different "
                          f"patient than the thread's last, with a new client_uuid")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.notes.append("eager mode: each POST /log/ also runs the progression check inside the request")
        else:
            self.notes.append("each POST /log/ enqueues its check on Redis (no worker runs during the HTTP runs; "
                              "those queued checks are purged before the sweep)")

    def phone(self, data: BenchData) -> None:
        why = "--skip-phone" if self.options.skip_phone else phone.available()
        if why is None and not shareable_database():
            why = "an in-memory SQLite database cannot be shared with gunicorn"
        if why:
            self.skipped.append(f"phone ({why})")
            return
        self.say("Phone: today's page in Chromium, 150 ms round trip, 1.6 Mbit/s down, production settings")
        session_key = self.client_for(data.today_user_id).cookies[settings.SESSION_COOKIE_NAME].value
        for name, values in phone.measure(session_key, self.options.runs, self.say).items():
            self.record(name, values)

    def export(self, data: BenchData) -> None:
        """The year clinic's bulk FHIR export, in this process: its time and peak Python memory."""
        runs = [export_once(clinic=data.clinic) for _ in range(self.options.runs)]
        self.record("export_ms", [took for took, _peak, _counts in runs])
        _took, peak, counts = export_once(clinic=data.clinic, traced=True)
        self.record("export_peak_mib", [peak])
        self.notes.append(f"export: the year clinic's $export run in-process, {sum(counts.values())} resources "
                          f"({', '.join(f'{n} {t}' for t, n in counts.items())}); peak memory: Python's (tracemalloc)")

    def sweep(self, data: BenchData) -> None:
        from patients.selectors import active_assignment_ids, active_ladder_exercises

        if self.options.skip_sweep:
            self.skipped.append("sweep (--skip-sweep)")
            return
        eager = bool(settings.CELERY_TASK_ALWAYS_EAGER)
        if not eager and not shareable_database():
            self.skipped.append("sweep (an in-memory SQLite database cannot be shared with a Celery worker)")
            return
        clinic_id = data.sweep_clinic.pk
        expected = len(active_ladder_exercises(assignment_ids=active_assignment_ids(clinic_id=clinic_id)))
        how = "eagerly in this process (REDIS_URL unset)" if eager else "through a real Celery worker (concurrency 2)"
        self.say(f"Sweep: {data.sweep_assignments} assignments ({expected} ladder exercises) {how}")

        def once() -> float:
            took = sweep_once(clinic_id=clinic_id, today=data.today, expected=expected, eager=eager)
            self.say(f"  sweep: {took:.1f} s")
            return took

        if eager:
            times = repeat(self.options.runs, once)
        else:
            with CeleryWorker(concurrency=2):
                times = repeat(self.options.runs, once)
            from clinic.celery import app

            app.control.purge()
        self.record("sweep_s", times)
        self.record("sweep_per_s", [data.sweep_assignments / t for t in times])
        self.notes.append(f"sweep: {how}; {data.sweep_assignments} assignments, timed from dispatch until each "
                          f"has today's ProgressionCheck (today's checks are deleted before each run)")

    # -- output --------------------------------------------------------------

    def machine(self) -> dict:
        import celery
        import django
        import gunicorn

        info = {
            "cpu_count": os.cpu_count(),
            "cpu_model": _cpu_model(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "django": django.get_version(),
            "celery": celery.__version__,
            "gunicorn": gunicorn.__version__,
            "database": {"vendor": connection.vendor, "version": _database_version()},
            "broker": "eager (in-process)" if settings.CELERY_TASK_ALWAYS_EAGER else _redis_version(),
            "debug": settings.DEBUG,
            # Other work on the machine skews every figure; these say how busy it was.
            "load_average_at_start": self.load_at_start,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "load_average_after": self.load_after,
        }
        return info

    def results(self, data: BenchData, mode: str, mode_note: str) -> dict:
        figures = {name: self.median(name) for name in FIGURES}
        targets = {}
        for target in TARGETS:
            met = target.met(figures.get(target.figure))
            targets[target.figure] = {"target": target.text, "value": figures.get(target.figure), "met": met,
                                      "reason": self.reasons.get(target.figure, target.why) if met is False else ""}
        for name, one, many in (("dashboard_queries_constant", "dashboard_queries_1_row", "dashboard_queries"),
                                ("today_queries_constant", "today_queries_8_weeks", "today_queries")):
            if figures[one] is not None and figures[many] is not None:
                met = figures[many] == figures[one]
                targets[name] = {"target": f"{many} == {one}", "value": figures[many], "met": met,
                                 "reason": "" if met else f"{many} grows with the rows or history shown"}
        years = self.years_section()
        targets.update(self.years_targets(years))
        return {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "scale": self.options.scale,
            "mode": mode,
            "mode_note": mode_note,
            "runs": self.options.runs,
            "history_years": data.years,
            **figures,
            "build_s": round(data.build_s, 2),
            "machine": self.machine(),
            "data": {"sizes": vars(data.sizes), "rows": data.counts, "build_s": round(data.build_s, 2),
                     "today": data.today.isoformat(), "fingerprint": data.fingerprint},
            "stats": self.stats,
            "targets": targets,
            "years": years,
            "http": self.http_info,
            "skipped": self.skipped,
            "notes": self.notes,
        }

    def table(self, results: dict) -> str:
        def fmt(value) -> str:
            if value is None:
                return "—"
            if isinstance(value, float) and not value.is_integer():
                return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
            return f"{value:,.0f}"

        floors = {
            "report_ms": f"floor {fmt(results['report_sql_floor_ms'])} ms (one SQL query)",
            "session_post_rps": f"floor {fmt(results['floor_rps'])}/s (GET /healthz)",
        }
        targets = results["targets"]
        lines = [
            f"Backstep bench — scale {results['scale']:g}, mode {results['mode']}, {results['runs']} run(s) after "
            f"a warm-up; {results['date']}",
            f"{results['mode_note']}",
            f"machine: {results['machine']['cpu_count']} CPU, {results['machine']['memory_gb']} GB, "
            f"{results['machine']['database']['vendor']} {results['machine']['database']['version']}, "
            f"Python {results['machine']['python']}, Django {results['machine']['django']}; load average "
            f"{results['machine']['load_average_at_start'][0]:.2f} at start, then after each part "
            + ", ".join(f"{k} {v:.2f}" for k, v in results["machine"]["load_average_after"].items()),
            f"data built in {results['build_s']:.1f} s (fingerprint {results['data']['fingerprint']}):",
            *(f"  {clinic}: " + ", ".join(f"{count:,} {name}" for name, count in rows.items())
              for clinic, rows in results["data"]["rows"].items()),
            "",
            f"{'figure':<24}{'median':>12}{'min':>12}{'max':>12}   {'target / floor':<38}{'':>7}",
        ]
        for name in FIGURES:
            stat = self.stats.get(name)
            target = targets.get(name)
            note = floors.get(name, target["target"] if target else "")
            verdict = "" if not target or target["met"] is None else ("met" if target["met"] else "MISSED")
            if stat is None:
                lines.append(f"{name:<24}{'skipped':>12}")
                continue
            lines.append(f"{name:<24}{fmt(stat['median']):>12}{fmt(stat['min']):>12}{fmt(stat['max']):>12}   "
                         f"{note:<38}{verdict:>7}")
        for name in ("dashboard_queries_constant", "today_queries_constant"):
            if name in targets:
                lines.append(f"{name:<24}{str(targets[name]['met']):>12}{'':>24}   {targets[name]['target']:<38}"
                             f"{'met' if targets[name]['met'] else 'MISSED':>7}")
        if self.skipped:
            lines.append("skipped: " + "; ".join(self.skipped))
        missed = [name for name, t in targets.items() if t["met"] is False]
        lines.append("targets: all met" if not missed else "targets missed: " + ", ".join(missed))
        lines.extend(f"  {name}: {targets[name]['reason']}" for name in missed)
        return "\n".join(lines) + "\n"

    def run(self) -> dict:
        mode, mode_note = self.mode()
        self.load_at_start = [round(x, 2) for x in os.getloadavg()]
        self.load_after: dict[str, float] = {}
        self.say(f"Mode: {mode} — {mode_note}")
        seed = {"seed": self.options.seed} if self.options.seed is not None else {}
        self.years_stats: dict[int, dict] = {}
        self.years_builds: dict[int, dict] = {}
        # Each number of years measured right after its own build, fewest first, the same way; then the whole
        # bench on a fresh build with the fewest. (Measuring the fewest last, after wiping the largest clinic,
        # made them slower in every trial: the database was still settling from the big delete.)
        for years in sorted(self.options.compare_years):
            self.history_figures(years, seed)
        years = min(self.options.compare_years) if self.options.compare_years else self.options.years
        progress = Progress(1, stream=self.stderr)
        data = build(scale=self.options.scale, progress=progress, years=years, **seed)
        try:
            self.say("Measuring the adherence report, its SQL floor, the RTM report, the dashboard and the today "
                     "page…")
            for name, part in (("report", self.report), ("rtm", self.rtm), ("pages", self.pages),
                               ("engine", self.engine), ("export", self.export), ("http", self.http),
                               ("phone", self.phone),
                               ("sweep", self.sweep)):
                part(data)
                # How busy the machine was (1-minute load average) when each part finished.
                self.load_after[name] = round(os.getloadavg()[0], 2)
        finally:
            # Through the session store: with cached_db (Redis) the cached copies go too.
            store = import_module(settings.SESSION_ENGINE).SessionStore
            for key in self.session_keys:
                store(session_key=key).delete()
        results = self.results(data, mode, mode_note)
        self.options.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
        self.stdout.write(self.table(results))
        self.stdout.write(f"wrote {self.options.out}\n")
        return results


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _database_version() -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT version()")
        return str(cursor.fetchone()[0])


def _redis_version() -> str:
    try:
        import redis

        return "redis " + redis.Redis.from_url(settings.REDIS_URL).info("server")["redis_version"]
    except Exception:  # the version is informative only
        return "redis"


def run(options: Options, stdout: TextIO, stderr: TextIO) -> dict:
    return Bench(options, stdout, stderr).run()
