"""API keys: created once by command, hashed at rest, clinic-scoped, read-only, revocable, expiring, throttled."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from clinic.api.permissions import ApiKeyRateThrottle
from clinic.models import ApiKey, Clinic
from clinic.services import api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/adherence/"


def get(client, raw, url=URL):
    return client.get(url, HTTP_AUTHORIZATION=f"Api-Key {raw}")


def test_command_prints_the_key_once_alone_on_its_last_line(client, world):
    out = io.StringIO()
    call_command("create_api_key", "--clinic", "Clinic A", "--name", "EHR sync", "--expires-days", "30", stdout=out)
    lines = out.getvalue().strip().splitlines()
    raw = lines[-1]
    assert raw.startswith("bsk_") and " " not in raw
    key = ApiKey.objects.get(name="EHR sync")
    assert key.clinic == world.clinic_a
    assert raw not in (key.key_hash, key.prefix) and key.prefix in raw  # only the prefix is kept in clear
    assert 29 <= (key.expires_at - timezone.now()).days <= 30
    assert get(client, raw).status_code == 200


def test_command_refuses_unknown_clinic_and_bad_expiry(world):
    with pytest.raises(CommandError, match="No clinic named"):
        call_command("create_api_key", "--clinic", "Nowhere", "--name", "x", stdout=io.StringIO())
    with pytest.raises(CommandError, match="at least one day"):
        call_command("create_api_key", "--clinic", "Clinic A", "--name", "x", "--expires-days", "0",
                     stdout=io.StringIO())


def test_revoked_expired_wrong_and_malformed_keys_get_401(client, world):
    revoked, raw_revoked = api_key_create(clinic=world.clinic_a, name="old")
    api_key_revoke(key=revoked)
    expired, raw_expired = api_key_create(clinic=world.clinic_a, name="short", expires_days=1)
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _key, raw = api_key_create(clinic=world.clinic_a, name="good")
    for bad in (raw_revoked, raw_expired, raw[:-1] + ("A" if raw[-1] != "A" else "B"), "bsk_nope", "garbage"):
        response = get(client, bad)
        assert response.status_code == 401, bad
        assert response.json() == {"detail": "Invalid, expired or revoked API key."}
        assert response["WWW-Authenticate"] == "Api-Key"


def test_deactivated_clinic_keys_stop_working(client, world):
    _key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    Clinic.objects.filter(pk=world.clinic_a.pk).update(is_active=False)
    assert get(client, raw).status_code == 401


def test_keys_are_read_only(client, world):
    _key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    response = client.post("/api/v1/progression/simulate/", {}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 403


def test_last_used_is_recorded(client, world):
    key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    assert key.last_used_at is None
    get(client, raw)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_keys_are_throttled_with_retry_after(client, world, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/minute"})
    _key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    assert [get(client, raw).status_code for _ in range(2)] == [200, 200]
    response = get(client, raw)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Another key has its own budget.
    _other, raw_other = api_key_create(clinic=world.clinic_a, name="Other")
    assert get(client, raw_other).status_code == 200
    cache.clear()


def test_an_unreachable_rate_limit_store_does_not_break_reports(client, world, monkeypatch, caplog):
    """With the cache (Redis) down, a key's report still answers; the skipped limit is logged as a warning."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(ApiKeyRateThrottle, "cache", type("DeadCache", (), {"get": unreachable, "set": unreachable})())
    _key, raw = api_key_create(clinic=world.clinic_a, name="EHR")
    with caplog.at_level("WARNING", logger="clinic.api.permissions"):
        assert get(client, raw).status_code == 200
    assert "rate limit not applied" in caplog.text
