"""clinic.clock: the one way "now" and "today" are read in a clinic's own time zone."""

import datetime as dt
from types import SimpleNamespace

from clinic.clock import clinic_now, clinic_today

LATE_UTC = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)


def test_today_is_the_clinics_date_not_the_servers():
    sydney, chicago = SimpleNamespace(timezone="Australia/Sydney"), SimpleNamespace(timezone="America/Chicago")
    assert clinic_today(sydney, LATE_UTC) == dt.date(2026, 3, 10)  # already tomorrow morning there
    assert clinic_today(chicago, LATE_UTC) == dt.date(2026, 3, 9)


def test_now_is_the_same_moment_on_the_clinics_wall_clock():
    local = clinic_now(SimpleNamespace(timezone="Europe/Berlin"), LATE_UTC)
    assert local == LATE_UTC
    assert (local.hour, local.minute, str(local.tzinfo)) == (0, 30, "Europe/Berlin")
