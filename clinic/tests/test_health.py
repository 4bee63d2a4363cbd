"""GET /healthz: 200 when the database and broker are usable, 503 otherwise."""

import os
import time
from unittest import mock

import pytest
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_healthy_in_eager_mode(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert "eager" in body["broker"]["detail"]


def test_unreachable_broker_gives_503_quickly(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert response.json()["database"]["ok"] is True
    # A dead broker must not hang the request (broker timeout is 2 s).
    assert time.monotonic() - started < 10


def test_unusable_database_gives_503(client):
    with mock.patch("clinic.health.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "detail": "unreachable (OperationalError)"}


def test_only_get_is_allowed(client):
    assert client.post("/healthz").status_code == 405


def test_real_redis_broker_is_healthy(client, settings, require):
    redis_url = os.environ.get("REDIS_URL", "")
    require(bool(redis_url), "REDIS_URL is not set: no Redis broker to check against")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["broker"]["detail"] == "redis"
