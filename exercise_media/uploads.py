"""What an uploaded file really is, read from its first bytes (never its name or the browser's word), and the
limits it must keep. Pure: no models.

Accepted: JPEG, PNG, WebP and HEIC/HEIF pictures (iPhones), MP4, MOV and WebM
videos. Anything else, whatever it is called, is refused with a message that
says what is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils.translation import gettext as _

IMAGE, VIDEO = "image", "video"
SNIFF_BYTES = 64

# ISO base media file brands (the "ftyp" box): HEIF pictures and the MP4/QuickTime family of videos.
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
MOV_BRANDS = {b"qt  "}
MP4_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP",
              b"dash", b"MSNV", b"f4v ", b"XAVC", b"mmp4"}
# Older QuickTime files start with one of these atoms instead of "ftyp".
MOV_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True)
class Sniffed:
    kind: str  # IMAGE or VIDEO
    content_type: str
    extension: str
    label: str  # what people call it: "JPEG picture"


def sniff(head: bytes) -> Sniffed | None:
    """The accepted type these first bytes begin, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(IMAGE, "image/jpeg", "jpg", "JPEG picture")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(IMAGE, "image/png", "png", "PNG picture")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(IMAGE, "image/webp", "webp", "WebP picture")
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:SNIFF_BYTES]:
        return Sniffed(VIDEO, "video/webm", "webm", "WebM video")
    box = head[4:8]
    if box == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
        if head[8:12] in HEIF_BRANDS or (head[8:12] == b"mif1" and brands & HEIF_BRANDS):
            return Sniffed(IMAGE, "image/heic", "heic", "HEIC picture")
        if head[8:12] in MOV_BRANDS:
            return Sniffed(VIDEO, "video/quicktime", "mov", "QuickTime (MOV) video")
        if brands & MP4_BRANDS:
            return Sniffed(VIDEO, "video/mp4", "mp4", "MP4 video")
        return None
    if box in MOV_ATOMS:
        return Sniffed(VIDEO, "video/quicktime", "mov", "QuickTime (MOV) video")
    return None


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def check_upload(uploaded, *, max_image_bytes: int, max_video_bytes: int) -> Sniffed:
    """The sniffed type of an uploaded file within its limit; ValidationError({"file": ...}) otherwise."""
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    if not head:
        raise ValidationError({"file": _("The file is empty. Choose a picture or a video.")}, code="empty")
    found = sniff(head)
    if found is None:
        raise ValidationError({"file": _(
            "This file is not a picture or video Backstep can use, whatever its name says. Upload a JPEG, PNG, "
            "WebP or HEIC picture, or an MP4, MOV or WebM video.")}, code="type")
    limit = max_image_bytes if found.kind == IMAGE else max_video_bytes
    if uploaded.size > limit:
        raise ValidationError({"file": _("This %(what)s is %(size)s; the limit is %(limit)s.") % {
            "what": found.label, "size": megabytes(uploaded.size), "limit": megabytes(limit)}}, code="size")
    return found


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Spools an upload to a temporary file, dropping any file past `limit` bytes (the view refuses the request
    by its Content-Length first; this covers a body sent without one)."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                self.request.upload_too_large = True
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)
