"""The API reads JSON only, and only up to DATA_UPLOAD_MAX_MEMORY_SIZE.

DRF reads request bodies straight from the stream, past the limit Django
applies to `request.body` and forms, so the limit is applied here. Form and
multipart bodies are not parsed at all (415): no client needs them, and a
multipart parser would spool uploads to disk before anyone looked at them.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, parsers


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit and a 400 (not a crash) for absurdly deep nesting."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            request = (parser_context or {}).get("request")
            # Refuse on the declared length without reading; then read at most one byte past the limit,
            # in case the declared length was wrong.
            if request is not None and _declared_length(request) > limit:
                raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
            stream = io.BytesIO(body)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
