"""Issue 21: the caller cache never slows a request down, holds plain values only, and is never shared.

A cache that fails or hangs costs one short wait per process: the breaker (clinic/access_cache.py) then sends
every request straight to the database for ACCESS_CACHE_BREAK_SECONDS (a previous attempt waited the default
cache's 2 s socket timeout on every request with Redis hung). What is cached of a caller is ids and plain
values, with no health data, and an entry is used only by the user it names.
"""

from __future__ import annotations

import datetime as dt
import pickle
import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from clinic import access_cache, tenancy
from clinic.models import User
from tests.integration.reliability_support import hung_broker

pytestmark = pytest.mark.django_db

PATIENTS = "/patients/"
CALLS: list[str] = []


class FailingCache(LocMemCache):
    """A cache whose every call fails, as a refused or reset Redis connection does."""

    def get(self, key, default=None, version=None):
        CALLS.append("get")
        raise ConnectionError("cache down")

    def set(self, key, value, timeout=None, version=None):
        CALLS.append("set")
        raise ConnectionError("cache down")


class SlowCache(FailingCache):
    """A cache that answers nothing until its socket timeout runs out (a hung Redis)."""

    def get(self, key, default=None, version=None):
        CALLS.append("get")
        time.sleep(0.3)
        raise TimeoutError("Timeout reading from socket")


def _caches(backend: str, **extra) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "guard-default"},
            "access": {"BACKEND": backend, "LOCATION": "guard-access", **extra}}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_a_failing_cache_is_skipped_by_the_next_request(world):
    client = _signed_in(world.therapist_a)
    with override_settings(CACHES=_caches(f"{__name__}.FailingCache")):
        assert client.get(PATIENTS).status_code == 200  # resolved from the database
        assert CALLS == ["get"]  # the failed read opened the breaker: not even the write was tried
        assert client.get(PATIENTS).status_code == 200
        assert client.get(PATIENTS).status_code == 200
        assert CALLS == ["get"]


def test_a_hung_cache_costs_one_short_wait_then_none(world):
    client = _signed_in(world.patient_a1.user)
    with override_settings(CACHES=_caches(f"{__name__}.SlowCache")):
        assert client.get("/today/").status_code == 200
        started = time.monotonic()
        assert client.get("/today/").status_code == 200
        assert time.monotonic() - started < 0.3  # did not wait for the cache again
        assert CALLS == ["get"]


def test_the_cache_is_asked_again_once_the_break_is_over(world):
    client = _signed_in(world.therapist_a)
    with override_settings(CACHES=_caches(f"{__name__}.FailingCache"), ACCESS_CACHE_BREAK_SECONDS=0):
        client.get(PATIENTS)
        client.get(PATIENTS)
        assert CALLS.count("get") == 2




def test_a_hung_redis_costs_the_short_timeout_once_per_process(world):
    client = _signed_in(world.patient_a1.user)
    with hung_broker() as url, override_settings(CACHES=_caches(
            "django.core.cache.backends.redis.RedisCache",
            OPTIONS={"socket_connect_timeout": 0.2, "socket_timeout": 0.2}) | {"access": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}):
        started = time.monotonic()
        assert client.get("/today/").status_code == 200
        first = time.monotonic() - started
        assert not access_cache.access_cache_open()
        started = time.monotonic()
        assert client.get("/today/").status_code == 200
        second = time.monotonic() - started
    assert first < 1.5, f"the first request waited {first:.2f} s for a hung cache"
    assert second < 0.2 or second < first - 0.15, f"the second request waited {second:.2f} s"


def test_the_redis_alias_waits_a_fraction_of_a_second():
    from django.conf import settings as django_settings

    if "RedisCache" not in django_settings.CACHES["access"]["BACKEND"]:
        pytest.skip("locmem in this run (no REDIS_URL)")
    options = django_settings.CACHES["access"]["OPTIONS"]
    assert options["socket_timeout"] <= 0.25 and options["socket_connect_timeout"] <= 0.25


# --- What is kept ------------------------------------------------------------------------------------------------


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str, dt.date, dt.datetime))


def _entry(user):
    user = User.objects.get(pk=user.pk)
    return caches["access"].get(tenancy.access_cache_key(user))


def test_a_patient_entry_holds_ids_and_plain_values_and_no_health_data(world):
    client = _signed_in(world.patient_a1.user)
    assert client.get("/today/").status_code == 200
    entry = _entry(world.patient_a1.user)
    assert entry is not None and _plain(entry)
    assert entry["user"] == world.patient_a1.user.pk and entry["patient"]["id"] == world.patient_a1.pk
    assert not {"date_of_birth", "condition", "side", "surgery_date", "email"} & set(entry["patient"])
    assert b"patients.models" not in pickle.dumps(entry)  # no model instance inside


def test_a_staff_entry_holds_plain_values(world):
    client = _signed_in(world.therapist_a)
    assert client.get(PATIENTS).status_code == 200
    entry = _entry(world.therapist_a)
    assert _plain(entry) and entry["membership"]["role"] == "therapist" and entry["patient"] is None
    assert entry["two_factor"] == [[], False, False]


def test_a_health_column_of_a_cached_patient_is_read_from_the_database_in_one_query(world):
    user = User.objects.get(pk=world.patient_a1.user.pk)
    tenancy.cached_actor(user)
    actor = tenancy.cached_actor(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as captured:
        assert actor.patient.condition == world.patient_a1.condition
        assert actor.patient.side == world.patient_a1.side
        assert actor.patient.surgery_date == world.patient_a1.surgery_date
    assert len(captured) == 1
    copied = pickle.loads(pickle.dumps(actor.patient))  # still a plain model instance to pickle or copy
    assert copied.pk == world.patient_a1.pk and copied.condition == world.patient_a1.condition


def test_another_users_entry_is_never_used(world):
    therapist = User.objects.get(pk=world.therapist_a.pk)
    patient = User.objects.get(pk=world.patient_a1.user.pk)
    tenancy.cached_actor(therapist)
    # Someone else's entry under the patient's key (a reused key, a bug): ignored, the patient resolved anew.
    caches["access"].set(tenancy.access_cache_key(patient), _entry(therapist))
    actor = tenancy.cached_actor(patient)
    assert actor.is_patient and not actor.is_staff_member and actor.patient.pk == world.patient_a1.pk


def test_the_cached_actor_is_the_resolved_one(world):
    for user in (world.therapist_a, world.admin_a, world.patient_a1.user):
        resolved = tenancy.resolve_actor(User.objects.get(pk=user.pk))
        tenancy.cached_actor(User.objects.get(pk=user.pk))
        cached = tenancy.cached_actor(User.objects.get(pk=user.pk))
        assert (cached.role, cached.clinic, cached.membership, cached.patient) == (
            resolved.role, resolved.clinic, resolved.membership, resolved.patient)
        assert cached.clinic.settings.default_language == resolved.clinic.settings.default_language
