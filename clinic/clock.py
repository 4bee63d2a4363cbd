"""The clinic's clock: now and today in the clinic's own time zone, computed one way everywhere.

A clinic's day is what a session's date, a plan's start, the nightly sweep at
02:00 and the digest at 07:00 mean; the server's time zone (UTC) would put a
Sydney clinic's morning on yesterday. Every service, task and page asks here
rather than converting by hand.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone


def clinic_now(clinic, now: dt.datetime | None = None) -> dt.datetime:
    """`now` (default: this moment) as an aware datetime in the clinic's time zone."""
    return timezone.localtime(now or timezone.now(), zoneinfo.ZoneInfo(clinic.timezone))


def clinic_today(clinic, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the clinic's own time zone (the day `now` falls on there)."""
    return clinic_now(clinic, now).date()
