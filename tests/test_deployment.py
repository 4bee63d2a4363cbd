"""docker-compose.yml, the Dockerfile, the Makefile and .ci/run, checked by construction.

No Docker engine runs here, so these tests read the files and check that every
command names a module, app or management command that exists.
"""

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[1]
DJANGO_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_defines_the_stack(compose):
    assert {"web", "worker", "beat", "db", "redis"} <= set(compose["services"])
    assert compose["services"]["db"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    assert "pgdata" in compose["volumes"]
    assert any(v.startswith("pgdata:") for v in compose["services"]["db"]["volumes"])


def test_compose_health_checks(compose):
    for name in ("web", "worker", "db", "redis"):
        assert compose["services"][name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_django_services_share_environment_and_wait_for_services(compose):
    envs = [compose["services"][name]["environment"] for name in DJANGO_SERVICES]
    assert all(env == envs[0] for env in envs)
    env = envs[0]
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    for name in DJANGO_SERVICES:
        deps = compose["services"][name]["depends_on"]
        assert deps["db"]["condition"] == deps["redis"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert compose["services"][name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_no_secret_is_committed_in_compose(compose):
    assert compose["services"]["web"]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")


def assert_gunicorn_target_exists(argv):
    target = next(arg for arg in argv[1:] if ":" in arg and not arg.startswith("-"))
    module, attribute = target.split(":")
    assert callable(getattr(importlib.import_module(module), attribute))


def assert_celery_app_exists(argv):
    app = argv[argv.index("-A") + 1]
    module = importlib.import_module(app)
    assert module.celery_app.main == "backstep"
    assert argv[argv.index("-A") + 2] in {"worker", "beat", "inspect"}


def assert_manage_commands_exist(shell_line):
    for name in re.findall(r"manage\.py\s+(\w+)", shell_line):
        assert name in get_commands(), name


def test_compose_commands_name_things_that_exist(compose):
    services = compose["services"]
    assert_gunicorn_target_exists(command_of(services["web"]))
    assert_celery_app_exists(command_of(services["worker"]))
    assert_celery_app_exists(command_of(services["beat"]))
    assert_manage_commands_exist(" ".join(command_of(services["migrate"])))
    assert_celery_app_exists(shlex.split(services["worker"]["healthcheck"]["test"][1]))


def test_dockerfile_builds_assets_and_runs_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "npm ci" in dockerfile and "npm run build" in dockerfile
    assert "collectstatic" in dockerfile
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    assert_gunicorn_target_exists(yaml.safe_load(cmd))


def test_makefile_and_compose_use_the_same_setup_commands(compose):
    makefile = (ROOT / "Makefile").read_text()
    migrate = " ".join(command_of(compose["services"]["migrate"]))
    for command in ("migrate --noinput", "load_library"):
        assert command in makefile and command in migrate
    assert_manage_commands_exist(makefile)


def test_make_run_leaves_debug_off(compose):
    """`make run` serves Backstep's own error pages (DEBUG off unless a developer sets it); compose is production."""
    makefile = "\n".join(line for line in (ROOT / "Makefile").read_text().splitlines()
                         if not line.lstrip().startswith("#"))
    assert not re.search(r"\bDEBUG\s*[:?+]?=\s*(1|true|yes|on)\b", makefile, re.I)
    serve = re.search(r"^serve:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "manage.py runserver" in serve and "DEBUG" not in serve
    env = compose["services"]["web"]["environment"]
    assert env["DJANGO_ENV"].startswith("${DJANGO_ENV:-production}") and "DEBUG" not in env


def test_ci_runs_make_test_with_services():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "BACKSTEP_REQUIRE_SERVICES=1" in ci
    assert "DATABASE_URL=" in ci and "REDIS_URL=" in ci
    assert "pg_ctlcluster --skip-systemctl-redirect" in ci and "redis-server --daemonize yes" in ci
    assert "playwright install" not in ci


def test_migrations_are_up_to_date(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_pages_reference_no_other_host():
    pattern = re.compile(r"(src|href)=\"(https?:)?//", re.I)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html")
                 if pattern.search(p.read_text())]
    assert offenders == []


def _access_log_format(argv) -> str:
    return argv[argv.index("--access-logformat") + 1]


def test_access_logs_leave_out_query_strings_and_referrers(compose):
    """The patient search puts names in ?q=, and the next page's Referer repeats it: neither reaches the log."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = yaml.safe_load(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
    for argv in (cmd, command_of(compose["services"]["web"])):
        log_format = _access_log_format(argv)
        assert "%(U)s" in log_format
        for leaky in ("%(r)s", "%(q)s", "%(f)s", "%(a)s"):
            assert leaky not in log_format, leaky
