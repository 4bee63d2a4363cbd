"""The real services CI runs against: PostgreSQL, Redis and a Celery worker process."""

import os

import pytest
from django.db import connection

pytestmark = pytest.mark.services


def test_suite_runs_on_postgresql_when_configured(db, require):
    require(os.environ.get("DATABASE_URL", "").startswith("postgres"), "DATABASE_URL is not a PostgreSQL URL")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 130000


def test_redis_cache_round_trip(require):
    require(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set: no Redis to talk to")
    from django.core.cache import cache

    cache.set("backstep:test", {"ok": 1}, timeout=30)
    assert cache.get("backstep:test") == {"ok": 1}
    cache.delete("backstep:test")


def test_task_runs_on_a_real_worker(celery_worker_process):
    from clinic.tasks import ping

    result = ping.delay()
    assert result.get(timeout=30) == "pong"
    assert result.successful()
