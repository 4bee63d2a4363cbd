"""Demo data: two clinics with staff, patients and weeks of plausible history.

Used by `manage.py seed_demo`, for local development and demonstrations only
(the known passwords make it unfit for production, so it refuses to run there).

Running it again rebuilds the demo clinics' patients from scratch, relative to
today in each clinic's time zone, with a fixed random seed: the same day gives
the same data and every run leaves the same row counts. Staff and login users
are created once and then reused; the built-in library is installed first.

Structure (clinics, users, patients, assignments, step and phase changes)
goes through the services, so demo rows obey the same rules as real ones.
History rows (sessions, check-ins, measurements) are bulk-inserted for speed.

`definitions` holds the clinics and patients as data, `history` builds one
patient, `seed` builds the clinics.
"""

from patients.demo.definitions import (
    DEMO_CLINIC,
    DEMO_CLINICS,
    NORTHSIDE,
    ClinicDef,
    MeasurementPlan,
    PatientDef,
    StaffDef,
)
from patients.demo.history import PatientHistory, SeedContext, spread, week_pattern
from patients.demo.seed import DEMO_SEED, DemoSeedRefused, DemoSummary, demo_seed

__all__ = [
    "DEMO_CLINIC", "DEMO_CLINICS", "DEMO_SEED", "NORTHSIDE", "ClinicDef", "DemoSeedRefused", "DemoSummary",
    "MeasurementPlan", "PatientDef", "PatientHistory", "SeedContext", "StaffDef", "demo_seed", "spread",
    "week_pattern",
]
