"""Test helpers: a private storage folder per test, and real small pictures and videos made on the spot."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825


def use_storage(settings, folder: Path) -> None:
    """Point the "exercise_media" storage at `folder` for this test."""
    settings.STORAGES = {**settings.STORAGES, "exercise_media": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder), "base_url": None}}}


def picture_bytes(fmt: str = "JPEG", size=(640, 480), gps: bool = True) -> bytes:
    """A real picture; with `gps`, EXIF that names a place (the kind phones write) and a camera."""
    image = Image.new("RGB", size, (200, 80, 40))
    for x in range(0, size[0], 40):
        for y in range(0, size[1], 40):
            image.putpixel((x, y), (10, 10, 10))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Phone 15"  # Model
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes() if gps else b"")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def make_video(folder: Path, name: str = "clip.mp4", seconds: float = 1, size: str = "320x240",
               extra: tuple[str, ...] = ()) -> Path:
    """A real video from ffmpeg's test sources: colour bars and a 440 Hz tone."""
    target = folder / name
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-metadata", "location=+51.5072-000.1276/", *extra, str(target)],
        check=True, capture_output=True, timeout=120)
    return target


def ready_picture(*, template=None, exercise=None, clinic=None, description="Side view, hand on the rail"):
    """A picture uploaded through the service (so a ready row with real files)."""
    from exercise_media.services import media_upload

    clinic = clinic or (template.clinic if template is not None else exercise.assignment.patient.clinic)
    return media_upload(clinic=clinic, uploaded=upload("p.jpg", picture_bytes()), description=description,
                        uploaded_by=None, template=template, exercise=exercise)
