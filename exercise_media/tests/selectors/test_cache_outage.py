"""The phone's media read path when the cache (Redis) is down: the page still gets its media, from the database."""

from __future__ import annotations

import pytest

from exercise_media import selectors
from exercise_media.tests.support import ready_picture

pytestmark = pytest.mark.django_db


class BrokenCache:
    """A cache whose server is down: every call fails, and each call is counted."""

    def __init__(self):
        self.calls = 0

    def get(self, *args, **kwargs):
        self.calls += 1
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    set = get


@pytest.fixture
def broken(monkeypatch):
    cache = BrokenCache()
    monkeypatch.setattr(selectors, "cache", cache)
    monkeypatch.setattr(selectors, "_cache_down_until", 0.0)
    return cache


def test_media_come_from_the_database_and_the_cache_is_left_alone_for_a_while(world, walk, media_dir, broken):
    picture = ready_picture(exercise=walk)
    exercises = list(world.assignment_a1.exercises.select_related("assignment"))

    shown = selectors.plan_media(clinic=world.clinic_a, patient=world.patient_a1, exercises=exercises)

    assert [ref.pk for ref in shown[walk.pk].media] == [picture.pk]
    assert broken.calls == 1  # the first failure opens the breaker: no socket timeout per lookup
    again = selectors.plan_media(clinic=world.clinic_a, patient=world.patient_a1, exercises=exercises)
    assert [ref.pk for ref in again[walk.pk].media] == [picture.pk]
    assert broken.calls == 1


def test_a_change_while_the_cache_is_down_does_not_fail(world, broken):
    selectors.media_cache_refresh(clinic_id=world.clinic_a.pk, patient_id=world.patient_a1.pk)
    assert broken.calls == 1
