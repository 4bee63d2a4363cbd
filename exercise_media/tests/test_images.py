"""Pictures are kept without metadata (location above all), upright and resized."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pillow_heif import register_heif_opener

from exercise_media.images import LARGE_SIDE, THUMB_SIDE, PictureError, prepare
from exercise_media.tests.support import GPS_IFD, picture_bytes

register_heif_opener()


def test_the_test_picture_really_carries_a_location():
    with Image.open(io.BytesIO(picture_bytes())) as original:
        assert original.getexif().get_ifd(GPS_IFD)[2] == (51.0, 30.0, 26.0)


def test_location_and_camera_are_stripped_and_the_picture_resized():
    prepared = prepare(io.BytesIO(picture_bytes(size=(4000, 3000))))
    for data, side in ((prepared.large, LARGE_SIDE), (prepared.thumbnail, THUMB_SIDE)):
        with Image.open(io.BytesIO(data)) as kept:
            assert kept.format == "JPEG" and max(kept.size) == side
            assert dict(kept.getexif()) == {} and kept.getexif().get_ifd(GPS_IFD) == {}
            assert "exif" not in kept.info and "icc_profile" not in kept.info
        assert b"PhoneMaker" not in data and b"Exif" not in data
    assert (prepared.width, prepared.height) == (1600, 1200)


def test_a_sideways_phone_picture_is_turned_upright():
    image = Image.new("RGB", (300, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° to display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    assert (prepare(io.BytesIO(out.getvalue())).width, prepare(io.BytesIO(out.getvalue())).height) == (200, 300)


def test_an_iphone_heic_picture_becomes_a_clean_jpeg():
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 120, 200)).save(out, "HEIF")
    prepared = prepare(io.BytesIO(out.getvalue()))
    with Image.open(io.BytesIO(prepared.large)) as kept:
        assert kept.format == "JPEG" and kept.size == (800, 600)


def test_transparent_pictures_are_put_on_white():
    out = io.BytesIO()
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(out, "PNG")
    with Image.open(io.BytesIO(prepare(io.BytesIO(out.getvalue())).large)) as kept:
        assert kept.getpixel((20, 20)) == (255, 255, 255)


def test_a_damaged_picture_is_a_picture_error():
    with pytest.raises(PictureError):
        prepare(io.BytesIO(picture_bytes()[:300]))
