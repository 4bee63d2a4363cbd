"""Claimed, heart-beating work on a row (clinic.claims), on a bulk export's row; and the media transcode's use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from clinic import claims
from exercise_media.models import ExerciseMedia
from exercise_media.services import _Heartbeat
from exercise_media.tests.support import ready_picture, use_storage
from fhir.models import ExportJob

pytestmark = pytest.mark.django_db

PENDING = Q(status="pending")


def job(world) -> ExportJob:
    return ExportJob.objects.create(clinic=world.clinic_a, requested_by=world.admin_a, types=["Patient"])


def test_a_claim_is_taken_once_and_counts_attempts(world):
    row, now = job(world), timezone.now()
    token, attempt = claims.claim(ExportJob, row.pk, PENDING, now=now, status="running")
    assert attempt == 1 and len(token) == 32
    assert claims.claim(ExportJob, row.pk, PENDING, now=now, status="running") is None
    row.refresh_from_db()
    assert (row.status, row.claim_token, row.claimed_at) == ("running", token, now)


def test_only_the_holder_finishes_and_a_lost_claim_stops_the_heartbeat(world):
    row = job(world)
    token, _attempt = claims.claim(ExportJob, row.pk, PENDING, now=timezone.now(), status="running")
    beat = claims.Heartbeat(ExportJob, row.pk, token, every=3600)
    assert beat(force=True, progress="Patient 1/2")
    assert beat(progress="Patient 2/2")  # within the interval: no write, still held
    assert ExportJob.objects.get(pk=row.pk).progress == "Patient 1/2"
    assert not claims.finish(ExportJob, row.pk, "someone-else", status="done")
    ExportJob.objects.filter(pk=row.pk).update(claim_token="")  # cancelled
    assert not beat(force=True, progress="Patient 2/2")
    assert not claims.finish(ExportJob, row.pk, token, status="done")


def test_the_heartbeat_keeps_a_claim_fresh(world):
    row = job(world)
    old = timezone.now() - dt.timedelta(minutes=10)
    token, _attempt = claims.claim(ExportJob, row.pk, PENDING, now=old, status="running")
    claims.Heartbeat(ExportJob, row.pk, token)(force=True)
    assert ExportJob.objects.get(pk=row.pk).claimed_at > old


def test_the_transcode_heartbeat_writes_progress(world, settings, tmp_path):
    use_storage(settings, tmp_path)
    media = ready_picture(exercise=world.assignment_a1.exercises.order_by("pk").first())
    ExerciseMedia.objects.filter(pk=media.pk).update(claim_token="t", progress=0)
    beat = _Heartbeat(media.pk, "t")
    beat(0.42)
    assert ExerciseMedia.objects.get(pk=media.pk).progress == 42
    beat(0.5)  # within two seconds: not written
    assert ExerciseMedia.objects.get(pk=media.pk).progress == 42
    beat(1.0)  # the end is always written
    assert ExerciseMedia.objects.get(pk=media.pk).progress == 99
