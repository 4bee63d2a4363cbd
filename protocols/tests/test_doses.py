"""protocols.doses: every exercise kind's dose in words, the one helper every page uses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from protocols.doses import dose_in_words
from protocols.models import ExerciseKind as K


@pytest.mark.parametrize(("kind", "dose", "words"), [
    (K.RETRO_TREADMILL_WALK, {"speed_kmh": Decimal("2.50"), "incline_pct": Decimal("5.0"), "duration_min": 20},
     "2.5 km/h · 5 % · 20 min"),
    (K.RETRO_TREADMILL_RUN, {"duration_min": 15}, "15 minutes"),  # a treadmill exercise without its load yet
    (K.STRENGTH, {"sets": 3, "reps": 10}, "3 sets of 10 reps"),
    (K.STRENGTH, {"sets": 3, "reps": 10, "hold_seconds": 5}, "3 sets of 10 reps, holding each for 5 seconds"),
    # The wall sit: sets of holds, no reps. It read "3 × None · 30 s" on the patient page.
    (K.STRENGTH, {"sets": 3, "hold_seconds": 30}, "3 holds of 30 seconds"),
    (K.BALANCE, {"sets": 1, "hold_seconds": 45}, "1 hold of 45 seconds"),
    (K.BALANCE, {"hold_seconds": 30}, "hold for 30 seconds"),
    (K.RETRO_STAIRS, {"sets": 3, "reps": 10}, "3 sets of 10 step-ups"),
    (K.SLED_DRAG, {"sets": 4, "reps": 1}, "4 sets of 1 length"),
    (K.RETRO_FLAT_WALK, {"duration_min": 1}, "1 minute"),
    (K.STRENGTH, {"sets": 2}, "2 sets"),
    (K.STRENGTH, {"reps": 12}, "12 reps"),
    (K.STRENGTH, {"sets": 3, "reps": 10, "duration_min": 5}, "3 sets of 10 reps · 5 minutes"),
    (K.STRENGTH, {}, ""),
])
def test_every_kind_reads_in_words(kind, dose, words):
    assert dose_in_words(kind, **dose) == words
    assert "None" not in dose_in_words(kind, **dose)
