"""The bench harness at a tiny scale: it runs, and its JSON has every figure, the machine and the targets.

Times are never asserted (speed is measured by `make bench`, not by tests).
gunicorn and the Celery worker are separate processes: they need a database
they can open (PostgreSQL; not the suite's in-memory SQLite), so those parts
are skipped by flag when they cannot run; the sweep then runs eagerly when
there is no Redis.
"""

import io
import json
import numbers
import os

import pytest
from django.core.management import call_command
from django.db import connection

from bench.load import shareable_database
from bench.phone import PHONE_FIGURES, available
from bench.runner import FIGURES, HTTP_FIGURES, SWEEP_FIGURES, TARGETS
from conftest import require_service

# transaction=True: gunicorn and the worker must see the rows the harness commits.
pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

MACHINE_KEYS = {"cpu_count", "memory_gb", "python", "django", "database", "broker"}


def test_bench_smoke_run_writes_every_figure(tmp_path):
    in_memory = not shareable_database()
    redis = bool(os.environ.get("REDIS_URL"))
    # The phone figures (a browser against a production server) have their own test below.
    args = ["--scale", "0.005", "--runs", "1", "--http-seconds", "1", "--skip-phone",
            "--out", str(tmp_path / "bench.json")]
    skipped = set(PHONE_FIGURES)
    if in_memory:
        args.append("--skip-http")
        skipped |= set(HTTP_FIGURES)
        if redis:  # a worker process could not see this database
            args.append("--skip-sweep")
            skipped |= set(SWEEP_FIGURES)
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("bench", *args, stdout=stdout, stderr=stderr)

    results = json.loads((tmp_path / "bench.json").read_text())
    for figure in FIGURES:
        assert figure in results, figure
        if figure in skipped:
            assert results[figure] is None
        else:
            assert isinstance(results[figure], numbers.Number), (figure, results[figure])
            stats = results["stats"][figure]
            assert stats["min"] <= stats["median"] <= stats["max"] or figure in {"report_ratio",
                                                                                 "session_post_ratio",
                                                                                 "session_post_errors"}
    assert MACHINE_KEYS <= set(results["machine"])
    assert results["machine"]["cpu_count"] >= 1
    assert results["machine"]["database"]["vendor"] == connection.vendor
    assert results["mode"] in {"postgresql+redis", "sqlite+eager", "postgresql+eager", "sqlite+redis"}
    assert results["scale"] == 0.005 and results["date"]
    assert isinstance(results["build_s"], numbers.Number)
    assert results["data"]["rows"]["year clinic"]["sessions"] > 0
    assert results["data"]["rows"]["sweep clinic"]["assignments"] >= 50
    for target in TARGETS:
        assert target.figure in results["targets"]
        assert results["targets"][target.figure]["met"] in (True, False, None)
        # A missed target says why; a met one says nothing.
        reason = results["targets"][target.figure]["reason"]
        assert reason if results["targets"][target.figure]["met"] is False else reason == ""
    # Issue 21: queries per logged session, measured in-process whatever else is skipped, against its target
    # (eager mode runs the progression check inside the post, and says so when the target is missed).
    assert isinstance(results["session_post_queries"], numbers.Number)
    if redis:
        assert results["session_post_queries"] <= 11
        assert results["targets"]["session_post_queries"]["met"] is True
    elif not results["targets"]["session_post_queries"]["met"]:
        assert results["targets"]["session_post_queries"]["reason"].startswith("eager mode")
    # The table names every figure; the progress bar went to stderr.
    table = stdout.getvalue()
    assert all(figure in table for figure in FIGURES)
    assert "%" in stderr.getvalue() and "built in" in stderr.getvalue()


PHONE_BUDGETS = {"phone_first_kib": "<= 50", "phone_first_lcp_ms": "<= 1500", "phone_repeat_kib": "<= 10",
                 "phone_offline_ms": "<= 300"}


def test_bench_writes_the_phone_figures_with_their_budgets(tmp_path):
    """Issue 15's budgets: each phone figure is in bench-results.json next to its budget and met/missed."""
    if not shareable_database():
        pytest.skip("the phone figures need a database gunicorn can open (PostgreSQL), not in-memory SQLite")
    why = available()
    require_service(why is None, f"the phone figures need Chromium and Playwright: {why}")
    out = tmp_path / "bench.json"
    call_command("bench", "--scale", "0.005", "--runs", "1", "--skip-http", "--skip-sweep", "--out", str(out),
                 stdout=io.StringIO(), stderr=io.StringIO())
    results = json.loads(out.read_text())
    for figure in PHONE_FIGURES:
        assert isinstance(results[figure], numbers.Number), (figure, results[figure])
        assert len(results["stats"][figure]["runs"]) == 1
    for figure, budget in PHONE_BUDGETS.items():
        assert results["targets"][figure]["target"] == budget
        assert results["targets"][figure]["value"] == results[figure]
        assert results["targets"][figure]["met"] in (True, False)


def test_bench_refuses_production(settings):
    from django.core.management.base import CommandError

    settings.DJANGO_ENV = "production"
    with pytest.raises(CommandError, match="production"):
        call_command("bench", "--scale", "0.005", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_data():
    from bench.data import build
    from bench.progress import Progress
    from patients.models import SessionLog

    def sessions():
        return sorted(SessionLog.objects.filter(patient__clinic__slug__startswith="bench-").values_list(
            "patient__clinic__slug", "patient__external_ref", "date", "exercise__name", "step", "completed",
            "pain_during", "pain_after"))

    first = build(scale=0.005, progress=Progress(1, stream=io.StringIO()))
    rows = sessions()
    second = build(scale=0.005, progress=Progress(1, stream=io.StringIO()))  # wipes and rebuilds

    assert rows and sessions() == rows
    assert (first.fingerprint, first.counts) == (second.fingerprint, second.counts)


@pytest.mark.django_db
def test_years_builds_that_many_years_of_history_and_keeps_the_last_year():
    """--years N: every patient has N plans (the N - 1 earlier ones completed, one after another, about a year
    each, with their sessions, check-ins, measurements, resolved flags and audit trail); the last year's
    rows are those of --years 1."""
    import datetime as dt

    from bench.data import build
    from bench.progress import Progress
    from clinic.models import AuditEvent
    from patients.models import Assignment, Flag, Measurement, MorningCheckIn, SessionLog

    def last_year(data):
        return sorted(SessionLog.objects.filter(patient__clinic=data.clinic, date__gte=data.today - dt.timedelta(
            days=364)).values_list("patient__external_ref", "date", "exercise__name", "step", "completed",
                                  "pain_during"))

    one = build(scale=0.005, years=1, progress=Progress(1, stream=io.StringIO()))
    rows = last_year(one)
    years = 3
    data = build(scale=0.005, years=years, progress=Progress(1, stream=io.StringIO()))

    assert data.years == years and rows and last_year(data) == rows
    # The rebuild wiped the first build's clinic, its audit trail too (append-only elsewhere).
    assert not AuditEvent.objects.filter(clinic_id=one.clinic.pk).exists()
    patients = data.sizes.patients
    for patient_id in data.clinic.patients.values_list("pk", flat=True):
        plans = list(Assignment.objects.filter(patient_id=patient_id).order_by("start_date"))
        assert len(plans) == years
        for earlier, later in zip(plans, plans[1:]):
            assert earlier.status == Assignment.Status.COMPLETED and earlier.end_date < later.start_date
        # About `years` years: the first plan began at least years - 1 years and 40 weeks ago.
        assert (data.today - plans[0].start_date).days >= 365 * (years - 1) + 280
    history = {"patient__clinic": data.clinic, "date__lt": data.today - dt.timedelta(days=2 * 365)}
    for model in (SessionLog, MorningCheckIn, Measurement):
        assert model.objects.filter(**history).exists(), model
    assert Flag.objects.filter(patient__clinic=data.clinic, status=Flag.Status.RESOLVED).exists()
    assert AuditEvent.objects.filter(clinic_id=data.clinic.pk, occurred_at__date__lt=history["date__lt"]).exists()
    assert data.counts["year clinic"]["assignments"] == years * patients
    assert data.counts["year clinic"]["sessions"] == SessionLog.objects.filter(patient__clinic=data.clinic).count()


def test_bench_refuses_bad_years():
    from django.core.management.base import CommandError

    for args in (["--years", "0"], ["--compare-years", "5"], ["--compare-years", "1,x"]):
        with pytest.raises(CommandError, match="years"):
            call_command("bench", "--scale", "0.005", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_readme_table_prints_every_measured_figure_with_its_verdict_and_the_years_side_by_side():
    from bench.readme_table import markdown

    def stat(*runs):
        return {"median": sorted(runs)[len(runs) // 2], "min": min(runs), "max": max(runs), "runs": list(runs)}

    results = {
        "date": "2026-12-04T20:00:00+00:00", "scale": 1, "runs": 3, "mode": "postgresql+redis", "history_years": 1,
        "machine": {"cpu_count": 2, "python": "3.11.7", "django": "5.2", "database": {"vendor": "postgresql",
                                                                                       "version": "15.20"},
                    "load_average_at_start": [1.5, 1, 1], "debug": True},
        "report_ms": 700.0, "report_sql_floor_ms": 350.0,
        "stats": {"report_ms": stat(650.0, 700.0, 760.0), "report_sql_floor_ms": stat(340.0, 350.0, 360.0),
                  "report_ratio": stat(1.9, 2.0, 2.1), "today_queries": stat(11, 11, 11)},
        "targets": {"report_ratio": {"target": "<= 1.3", "value": 2.0, "met": False, "reason": "DRF rows"},
                    "today_queries": {"target": "<= 15", "value": 11, "met": True},
                    "session_post_ratio": {"target": ">= 0.4", "value": None, "met": None},
                    "years_report_ms_growth": {"target": "report_ms at 5 years <= 1.25 x at 1", "value": 0.98,
                                               "met": True}},
        "years": {"compared": [1, 5], "figures": {"report_ms": {"by_years": {"1": 700.0, "5": 714.0},
                                                                "growth": 1.02, "growth_of_fastest": 0.98}},
                  "builds": {"1": {"build_s": 50, "rows": {"sessions": 144276}},
                             "5": {"build_s": 200, "rows": {"sessions": 700000}}}},
        "skipped": ["phone (--skip-phone)"],
    }
    text = markdown(results)
    assert "| `report_ms` | 700 | 650 – 760 | floor 350 ms (340 – 360), one SQL query |" in text
    assert "| `report_ratio` | 2.00 | 1.90 – 2.10 | <= 1.3 | missed: DRF rows |" in text
    assert "| `today_queries` | 11 |  | <= 15 | met |" in text
    assert "| `session_post_ratio` | — | | >= 0.4 | not measured |" in text
    assert "| `report_ms` | 700 | 714 | 1.02× | 0.98× | report_ms at 5 years <= 1.25 x at 1 | met |" in text
    assert "5 years: 700,000 sessions" in text and "Skipped: phone (--skip-phone)." in text


def test_compare_years_puts_the_history_figures_side_by_side(tmp_path):
    """--compare-years 1,2: the history figures at each number of years, their growth, and the targets that
    say they must not grow; the rest of the bench on the fewest years."""
    from bench.runner import YEARS_BOUNDED, YEARS_CONSTANT, YEARS_FIGURES

    out = tmp_path / "bench.json"
    call_command("bench", "--scale", "0.005", "--runs", "1", "--skip-http", "--skip-sweep", "--skip-phone",
                 "--compare-years", "2,1", "--out", str(out), stdout=io.StringIO(), stderr=io.StringIO())
    results = json.loads(out.read_text())
    years = results["years"]
    assert years["compared"] == [1, 2] and results["history_years"] == 1
    for figure in YEARS_FIGURES:
        assert set(years["figures"][figure]["by_years"]) == {"1", "2"}
        assert all(isinstance(v, numbers.Number) for v in years["figures"][figure]["by_years"].values()), figure
    assert years["builds"]["2"]["rows"]["assignments"] == 2 * years["builds"]["1"]["rows"]["assignments"]
    for figure in YEARS_BOUNDED:
        assert results["targets"][f"years_{figure}_growth"]["met"] in (True, False)
    for figure in YEARS_CONSTANT:
        assert results["targets"][f"years_{figure}_constant"]["met"] is True, figure
