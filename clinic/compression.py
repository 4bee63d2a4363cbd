"""Compressed HTML pages for slow phone networks; every other answer goes as it is.

Only pages are compressed: they are what the phone budgets measure (static files come compressed from
WhiteNoise). Django's GZip middleware pads each page with random bytes against BREACH. API answers, CSV and
NDJSON downloads go unchanged (a client or proxy may compress them itself), and a video or picture answered by
range (exercise_media's file views) must stay byte-for-byte what its Content-Range and Content-Length say.
"""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware


def leave_alone(response) -> bool:
    """True for an answer that is not an HTML page, or is a byte range or a rangeable file."""
    if response.status_code == 206 or response.has_header("Content-Range"):
        return True
    if response.get("Accept-Ranges", "").lower() == "bytes":
        return True
    return not response.get("Content-Type", "").lower().startswith("text/html")


class PageGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if leave_alone(response):
            return response
        return super().process_response(request, response)
