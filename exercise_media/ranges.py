"""HTTP range requests (RFC 9110 §14): the one byte range a media request asks for. Pure.

Video players (iOS Safari above all) fetch videos in ranges and will not seek
or even play without 206 answers. One range is served; a request for several
gets the whole file (allowed by the RFC), a range past the end gets 416.
"""

from __future__ import annotations

import re

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Unsatisfiable(ValueError):
    """The range starts past the end of the file: answer 416."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive for a Range header on a file of `size` bytes; None means the whole file."""
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None  # several ranges, or a unit we do not serve: the whole file
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0:
            raise Unsatisfiable(header)
        return max(0, size - suffix), size - 1
    start = int(first)
    if start >= size:
        raise Unsatisfiable(header)
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return None  # an invalid range is ignored, not refused
    return start, end
