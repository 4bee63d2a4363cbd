"""Compressed pages for slow phone networks, never compressed media or byte ranges.

Django's GZip middleware pads each answer with random bytes against BREACH and compresses streaming answers
too. A video or picture answered by range (exercise_media's file views) must stay byte-for-byte what its
Content-Range and Content-Length say, and compressing already-compressed media only costs CPU, so those are
passed through unchanged.
"""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware

ALREADY_COMPRESSED = ("image/", "video/", "audio/", "application/zip", "application/gzip")


def leave_alone(response) -> bool:
    """True for an answer that must not be re-encoded: a byte range, a rangeable file, or compressed media."""
    if response.status_code == 206 or response.has_header("Content-Range"):
        return True
    if response.get("Accept-Ranges", "").lower() == "bytes":
        return True
    return response.get("Content-Type", "").lower().startswith(ALREADY_COMPRESSED)


class PageGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if leave_alone(response):
            return response
        return super().process_response(request, response)
