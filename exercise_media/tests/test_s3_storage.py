"""Object storage: the same uploads and ranged fetches against an S3-compatible server process (moto's server,
started here on a free local port), through django-storages as production configures it."""

from __future__ import annotations

import socket

import pytest
from django.test import Client
from django.urls import reverse

from exercise_media.storage import media_storage, read_range
from exercise_media.tests.support import ready_picture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
BUCKET = "backstep-media-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    server_module = pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    # What clinic/settings.py builds from MEDIA_S3_BUCKET and MEDIA_S3_ENDPOINT_URL.
    settings.STORAGES = {**settings.STORAGES, "exercise_media": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": BUCKET, "endpoint_url": s3_server, "region_name": "us-east-1",
                    "location": "exercise-media", "default_acl": "private", "file_overwrite": False,
                    "querystring_auth": True}}}
    return boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")


def test_settings_build_the_s3_storage_from_the_environment(monkeypatch):
    import importlib

    import clinic.settings as project_settings

    monkeypatch.setenv("MEDIA_S3_BUCKET", "clinic-media")
    monkeypatch.setenv("MEDIA_S3_ENDPOINT_URL", "http://minio:9000")
    try:
        configured = importlib.reload(project_settings).STORAGES["exercise_media"]
    finally:
        monkeypatch.delenv("MEDIA_S3_BUCKET")
        monkeypatch.delenv("MEDIA_S3_ENDPOINT_URL")
        importlib.reload(project_settings)
    assert configured["BACKEND"] == "storages.backends.s3.S3Storage"
    assert configured["OPTIONS"]["bucket_name"] == "clinic-media"
    assert configured["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    assert configured["OPTIONS"]["default_acl"] == "private"
    assert project_settings.STORAGES["exercise_media"]["BACKEND"].endswith("FileSystemStorage")


def test_a_picture_round_trips_through_object_storage(world, s3_storage):
    walk = world.assignment_a1.exercises.order_by("pk").first()
    media = ready_picture(exercise=walk)
    assert type(media_storage()).__name__ == "S3Storage"
    keys = {o["Key"] for o in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {f"exercise-media/{media.file}", f"exercise-media/{media.thumbnail}"}
    acl = s3_storage.get_object_acl(Bucket=BUCKET, Key=f"exercise-media/{media.file}")
    assert all(grant["Grantee"].get("URI") is None for grant in acl["Grants"])  # no public grant

    whole = s3_storage.get_object(Bucket=BUCKET, Key=f"exercise-media/{media.file}")["Body"].read()
    assert b"".join(read_range(media.file, 10, 19)) == whole[10:20]

    client = Client()
    client.force_login(world.patient_a1.user)
    url = reverse("exercise_media:patient-file", kwargs={"pk": media.pk, "variant": "file"})
    response = client.get(url, HTTP_RANGE="bytes=0-1023")
    assert response.status_code == 206 and b"".join(response.streaming_content) == whole[:1024]
    full = client.get(url)
    assert full.status_code == 200 and b"".join(full.streaming_content) == whole
    other = Client()
    other.force_login(world.therapist_b)
    assert other.get(url).status_code == 404

    from exercise_media.services import media_delete

    media_delete(media=media)
    media_storage().delete(media.file)  # on commit in production; the test's transaction never commits
    media_storage().delete(media.thumbnail)
    assert s3_storage.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
