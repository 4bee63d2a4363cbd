"""What a file is comes from its bytes: the accepted types, files lying about their type, and size limits."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image
from pillow_heif import register_heif_opener

from exercise_media.tests.support import picture_bytes, upload
from exercise_media.uploads import check_upload, sniff

register_heif_opener()
LIMITS = {"max_image_bytes": 100_000, "max_video_bytes": 200_000}


def encoded(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (9, 99, 199)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(("data", "kind", "content_type"), [
    (picture_bytes("JPEG"), "image", "image/jpeg"),
    (encoded("PNG"), "image", "image/png"),
    (encoded("WEBP"), "image", "image/webp"),
    (encoded("HEIF"), "image", "image/heic"),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(32), "video", "video/mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + bytes(32), "video", "video/quicktime"),
    (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat" + bytes(32), "video", "video/quicktime"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm",
     "video", "video/webm"),
], ids=["jpeg", "png", "webp", "heic", "mp4", "mov", "old-mov", "webm"])
def test_accepted_types_are_recognised_by_content(data, kind, content_type):
    found = sniff(data[:64])
    assert found is not None and (found.kind, found.content_type) == (kind, content_type)


@pytest.mark.parametrize(("name", "data"), [
    ("holiday.jpg", b"<html><script>alert(1)</script></html>"),
    ("clip.mp4", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
    ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("photo.heic", b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00avifmif1"),  # an AVIF is not on the list
    ("run.mov", b"MZ\x90\x00\x03\x00\x00\x00"),
], ids=["html-as-jpg", "pdf-as-mp4", "svg-as-png", "avif-as-heic", "exe-as-mov"])
def test_a_file_whose_name_lies_is_refused_in_words(name, data):
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(name, data, "image/jpeg"), **LIMITS)
    message = refused.value.message_dict["file"][0]
    assert "not a picture or video Backstep can use" in message and "JPEG, PNG, WebP or HEIC" in message


def test_a_picture_with_a_wrong_name_is_taken_for_what_it_is():
    found = check_upload(upload("looks-like-a-video.mp4", encoded("PNG")), **LIMITS)
    assert found.content_type == "image/png"


def test_sizes_over_the_limit_are_refused_with_both_numbers():
    big_picture = picture_bytes(size=(1200, 1200)) + bytes(200_000)
    with pytest.raises(ValidationError) as refused:
        check_upload(upload("p.jpg", big_picture), max_image_bytes=100_000, max_video_bytes=10**9)
    assert "JPEG picture is" in refused.value.message_dict["file"][0]
    assert "the limit is 97 KB" in refused.value.message_dict["file"][0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        check_upload(upload("p.jpg", b""), **LIMITS)
