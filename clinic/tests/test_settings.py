"""The settings switch: SQLite/eager by default, PostgreSQL/Redis when configured, production hardening."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "backend": settings.CELERY_RESULT_BACKEND,
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "secure_cookies": getattr(settings, "SESSION_COOKIE_SECURE", False),
    "hsts": getattr(settings, "SECURE_HSTS_SECONDS", 0),
    "email": settings.EMAIL_BACKEND,
    "time_zone": settings.TIME_ZONE,
    "acks_late": settings.CELERY_TASK_ACKS_LATE,
    "accept": settings.CELERY_ACCEPT_CONTENT,
    "nosniff": settings.SECURE_CONTENT_TYPE_NOSNIFF,
    "referrer_policy": settings.SECURE_REFERRER_POLICY,
    "frame_options": settings.X_FRAME_OPTIONS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "headers_middleware": settings.MIDDLEWARE.index("clinic.headers.SecurityHeadersMiddleware")
    - settings.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware"),
    "log_formatter": settings.LOGGING["formatters"]["plain"]["class"],
}))
"""

CONFIG_VARS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ENV", "TIME_ZONE",
               "EMAIL_BACKEND")


def load_settings(**env):
    """Import the settings in a fresh interpreter with exactly these configuration variables."""
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )
    return result


def settings_with(**env) -> dict:
    result = load_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_need_no_services():
    s = settings_with()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["eager"] is True
    assert s["broker"].startswith("memory://")
    assert s["cache"].endswith("LocMemCache")
    assert s["debug"] is False  # Backstep's own error pages in `make run` too (see below)
    assert s["email"].endswith("console.EmailBackend")
    assert s["acks_late"] is True and s["accept"] == ["json"]


def test_database_and_redis_urls_switch_to_postgres_and_redis():
    s = settings_with(DATABASE_URL="postgres://postgres@127.0.0.1:5432/backstep", REDIS_URL="redis://127.0.0.1:6379/3")
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["db_name"] == "backstep"
    assert s["eager"] is False
    assert s["broker"] == s["backend"] == "redis://127.0.0.1:6379/3"
    assert s["cache"].endswith("RedisCache")


def test_a_database_backstep_has_no_sql_for_is_refused_at_start():
    result = load_settings(DATABASE_URL="mysql://root@127.0.0.1:3306/backstep")
    assert result.returncode != 0
    assert "DATABASE_URL must be a PostgreSQL (postgres://) or SQLite (sqlite://) URL" in result.stderr


def test_production_refuses_to_start_without_secret_key():
    result = load_settings(DJANGO_ENV="production", ALLOWED_HOSTS="backstep.example")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = load_settings(DJANGO_ENV="production", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_turns_on_hardening():
    s = settings_with(DJANGO_ENV="production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="backstep.example")
    assert s["debug"] is False
    assert s["secure_cookies"] is True
    assert s["hsts"] >= 31536000
    assert s["ssl_redirect"] is True


def test_development_serves_plain_http_on_localhost_with_debug_off():
    """`make run` (DEBUG off) must not redirect to HTTPS or send cookies only over HTTPS: it has no TLS."""
    s = settings_with()
    assert s["ssl_redirect"] is False and s["secure_cookies"] is False and s["hsts"] == 0
    assert {"127.0.0.1", "localhost"} <= set(s["allowed_hosts"])


def test_a_developer_can_still_switch_debug_on():
    assert settings_with(DEBUG="true")["debug"] is True


ERROR_PAGES_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.urls import path

import clinic.urls


def broken(request):
    raise RuntimeError("probe: an unexpected bug")


clinic.urls.urlpatterns.append(path("probe-errors/boom/", broken))
client = Client(raise_request_exception=False)
answers = {}
for url in ("/no-such-page/", "/probe-errors/boom/", "/static/css/backstep.css"):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    answers[url] = {"status": response.status_code, "body": body.decode(errors="replace")}
print(json.dumps({"debug": settings.DEBUG, "answers": answers}))
"""


def pages_under(tmp_path, **env) -> dict:
    """A 404, a 500 and a static file, requested in a fresh interpreter under exactly these variables."""
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean.update(env, DJANGO_SETTINGS_MODULE="clinic.settings", SQLITE_PATH=str(tmp_path / "unused.sqlite3"))
    result = subprocess.run([sys.executable, "-c", ERROR_PAGES_PROBE], cwd=ROOT, env=clean, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_settings_show_backstep_error_pages_not_djangos(tmp_path):
    """What `make run` serves: no URL list on a 404, no settings or traceback on a 500; static files still load."""
    probe = pages_under(tmp_path)
    assert probe["debug"] is False
    not_found, error, static = (probe["answers"][url] for url in
                                ("/no-such-page/", "/probe-errors/boom/", "/static/css/backstep.css"))
    assert not_found["status"] == 404
    assert "We could not find that page" in not_found["body"]
    assert "URLconf" not in not_found["body"] and "DEBUG = True" not in not_found["body"]
    assert error["status"] == 500
    assert "Something went wrong on our side" in error["body"]
    for leak in ("Traceback", "RuntimeError", "probe: an unexpected bug", "SECRET_KEY", "DEBUG = True"):
        assert leak not in error["body"]
    assert static["status"] == 200 and "--bs-primary" in static["body"]


def test_debug_true_still_gives_a_developer_djangos_pages(tmp_path):
    probe = pages_under(tmp_path, DEBUG="true")
    assert probe["debug"] is True
    assert "URLconf" in probe["answers"]["/no-such-page/"]["body"]
    assert probe["answers"]["/static/css/backstep.css"]["status"] == 200


def test_production_refuses_debug():
    result = load_settings(DJANGO_ENV="production", SECRET_KEY=secrets.token_urlsafe(50),
                           ALLOWED_HOSTS="backstep.example", DEBUG="true")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG must be off when DJANGO_ENV=production" in result.stderr


def test_header_hardening_and_log_scrubbing_are_on_in_every_environment():
    for env in ({}, {"DJANGO_ENV": "test"}, {"DEBUG": "false"}):
        s = settings_with(**env)
        assert s["nosniff"] is True
        assert s["referrer_policy"] == "same-origin"
        assert s["frame_options"] == "DENY"
        assert s["headers_middleware"] == 1  # right after SecurityMiddleware: static files get the CSP too
        assert s["log_formatter"] == "clinic.logging.ScrubbingFormatter"


def deploy_check(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and not k.startswith("SECURE_")}
    clean.update(env)
    clean.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py sets it
    # Set in this test process for Playwright (tests/browser/conftest.py); never in a deployment, and
    # check --deploy rightly warns about it, so the check runs without it.
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )


def test_production_passes_the_deploy_check_with_no_warnings():
    result = deploy_check(DJANGO_ENV="production", SECRET_KEY=secrets.token_urlsafe(50),
                          ALLOWED_HOSTS="backstep.example")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "?: (security" not in output, output
    assert "System check identified no issues" in output


def test_the_deploy_check_catches_a_weak_key():
    """The check the test above relies on really looks: a short, repetitive key is a warning."""
    result = deploy_check(DJANGO_ENV="production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="backstep.example")
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_bad_boolean_is_a_clear_error():
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_time_zone_default_is_configurable():
    assert settings_with(TIME_ZONE="America/Chicago")["time_zone"] == "America/Chicago"


@pytest.mark.parametrize("name", CONFIG_VARS + ("EMAIL_HOST", "DEFAULT_FROM_EMAIL", "CSRF_TRUSTED_ORIGINS",
                                                "SITE_URL", "LOG_LEVEL"))
def test_every_variable_is_documented(name):
    assert f"{name}=" in (ROOT / ".env.example").read_text()
    assert name in (ROOT / "README.md").read_text()


def test_every_variable_read_by_settings_is_in_env_example():
    source = (ROOT / "clinic" / "settings.py").read_text()
    read = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source)) | set(
        re.findall(r'env_(?:bool|list)\("([A-Z_]+)"', source)
    )
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - documented == set()
