"""Patients, their assignments (protocol snapshots), step and phase versions, logs and flags.

One module per part of the story: `people` (patients, invitations, page
visits), `plans` (assignments and their versions), `entries` (sessions,
check-ins, measurements), `checks` (flags, progression checks, sweeps,
digests); `base` holds the pain scale and the text caps they share.
"""

from patients.models.base import NOTE_MAX_LENGTH, NPRS, REASON_MAX_LENGTH, nprs_check
from patients.models.checks import OUTCOME_FLAG_KINDS, DigestLog, Flag, ProgressionCheck, SweepRun
from patients.models.entries import (
    CORRECTION_WINDOW,
    HOLD_MAX,
    REPS_MAX,
    SESSION_DOSE_FIELDS,
    SETS_MAX,
    Measurement,
    MorningCheckIn,
    SessionLog,
)
from patients.models.people import Invitation, Patient, PatientPageVisit, Side
from patients.models.plans import (
    AssignedExercise,
    AssignedLadderStep,
    AssignedPhase,
    Assignment,
    ChangeSource,
    PhaseVersion,
    StepVersion,
)

__all__ = [
    "CORRECTION_WINDOW", "HOLD_MAX", "NOTE_MAX_LENGTH", "NPRS", "OUTCOME_FLAG_KINDS", "REASON_MAX_LENGTH", "REPS_MAX",
    "SESSION_DOSE_FIELDS",
    "SETS_MAX", "AssignedExercise", "AssignedLadderStep", "AssignedPhase", "Assignment", "ChangeSource", "DigestLog",
    "Flag", "Invitation", "Measurement", "MorningCheckIn", "Patient", "PatientPageVisit", "PhaseVersion",
    "ProgressionCheck", "Side", "SessionLog", "StepVersion", "SweepRun", "nprs_check",
]
