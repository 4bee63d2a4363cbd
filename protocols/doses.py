"""A dose in words, one way for every exercise kind and every page.

The phone's plan and saved pages, the history, the therapist's patient page,
the printable handout and the protocol builder all write "how much" with
`dose_in_words`, so an exercise without reps (a wall sit: sets of holds) never
reads "3 × None". Treadmill loads keep the ladder's wording (`describe_load`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from protocols.models import LADDER_KINDS, ExerciseKind, describe_load

# What one repetition is called, where "reps" would say less.
_REP_WORDS = {
    ExerciseKind.RETRO_STAIRS: lambda n: ngettext("%(n)s step-up", "%(n)s step-ups", n) % {"n": n},
    ExerciseKind.SLED_DRAG: lambda n: ngettext("%(n)s length", "%(n)s lengths", n) % {"n": n},
}


def _reps(kind: str, reps: int) -> str:
    words = _REP_WORDS.get(kind)
    return words(reps) if words else ngettext("%(n)s rep", "%(n)s reps", reps) % {"n": reps}


def _seconds(n: int) -> str:
    return ngettext("%(n)s second", "%(n)s seconds", n) % {"n": n}


def dose_in_words(kind: str, *, sets: int | None = None, reps: int | None = None, hold_seconds: int | None = None,
                  duration_min: int | None = None, speed_kmh=None, incline_pct=None) -> str:
    """How much of an exercise, in words; "" when nothing is prescribed or recorded.

    - treadmill with a load: "2.5 km/h · 5 % · 20 min" (as ladder steps are written);
    - sets of reps: "3 sets of 10 reps" ("step-ups" for retro stairs, "lengths" for sled drags),
      with a hold: "3 sets of 10 reps, holding each for 5 seconds";
    - sets of holds (wall sit, single-leg balance): "3 holds of 30 seconds";
    - minutes: "10 minutes".
    """
    if kind in LADDER_KINDS and speed_kmh is not None and incline_pct is not None and duration_min:
        return describe_load(speed_kmh, incline_pct, duration_min)
    parts = []
    if sets and reps:
        parts.append(ngettext("%(sets)s set of %(reps)s", "%(sets)s sets of %(reps)s", sets)
                     % {"sets": sets, "reps": _reps(kind, reps)})
    elif sets and hold_seconds:
        parts.append(ngettext("%(sets)s hold of %(time)s", "%(sets)s holds of %(time)s", sets)
                     % {"sets": sets, "time": _seconds(hold_seconds)})
        hold_seconds = None
    elif sets:
        parts.append(ngettext("%(n)s set", "%(n)s sets", sets) % {"n": sets})
    elif reps:
        parts.append(_reps(kind, reps))
    if hold_seconds:
        parts.append(_("holding each for %(time)s") % {"time": _seconds(hold_seconds)} if parts
                     else _("hold for %(time)s") % {"time": _seconds(hold_seconds)})
    words = ", ".join(parts)
    if duration_min:
        minutes = ngettext("%(n)s minute", "%(n)s minutes", duration_min) % {"n": duration_min}
        words = f"{words} · {minutes}" if words else minutes
    return words
