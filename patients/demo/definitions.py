"""The demo clinics as data: their staff, patients and the story each patient's history tells."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic.models import Membership
from protocols.library import ACL_PHASES_1_3, PFP_SIX_WEEKS


@dataclass(frozen=True)
class StaffDef:
    email: str
    password: str
    first_name: str
    last_name: str
    role: str = Membership.Role.THERAPIST


@dataclass(frozen=True)
class MeasurementPlan:
    """Values at the first and last visit (linear in between); hop tests start 12 weeks after surgery."""

    effusion: tuple[str, ...]
    quad_lsi: tuple[float, float]
    hop_lsi: tuple[float, float]
    rom: tuple[float, float]


@dataclass(frozen=True)
class PatientDef:
    role: str  # "login", "red_pain", "low_adherence", "near_gate" or "" — lets tests find the scenarios
    first_name: str
    last_name: str
    born: dt.date
    condition: str
    side: str
    protocol: str  # built-in protocol slug
    therapist: str  # staff e-mail
    baseline_pain: int
    target: tuple[int, int]  # (phase order, ladder step) the patient has reached today
    sessions_per_week: int = 3
    miss_rate: float = 0.1
    surgery_weeks_ago: int | None = None
    login: tuple[str, str] | None = None  # (e-mail, password)
    last_session_days_ago: int | None = None  # force the last session on this day, none after it
    sparse_last_weeks: int = 0  # one session a week over the last N weeks
    red_pain_last: bool = False  # the last session hurt (pain during 7) and was stopped early
    pain_during: tuple[int, int] = (3, 1)  # typical pain during at the start and now; clamped to 0-3
    morning_drop: int = 1  # how far morning pain falls below baseline by now
    measurements: MeasurementPlan | None = None
    language: str = ""  # the patient's own language (settings.LANGUAGES); blank follows the clinic's
    own_random_seed: int | None = None  # draw from a generator of their own, leaving the clinic's sequence alone


@dataclass(frozen=True)
class ClinicDef:
    name: str
    slug: str
    timezone: str
    ref_prefix: str
    history_weeks: int
    staff: tuple[StaffDef, ...]
    patients: tuple[PatientDef, ...] = field(default_factory=tuple)


PFP, ACL = PFP_SIX_WEEKS.slug, ACL_PHASES_1_3.slug
MAYA, DANIEL = "therapist@demo.clinic", "second@demo.clinic"

DEMO_CLINIC = ClinicDef(
    name="Demo Clinic",
    slug="demo-clinic",
    timezone="Europe/London",
    ref_prefix="DC",
    history_weeks=8,
    staff=(
        StaffDef("admin@demo.clinic", "demo-admin", "Ruth", "Ellison", Membership.Role.ADMIN),
        StaffDef(MAYA, "demo-therapist", "Maya", "Okafor"),
        StaffDef(DANIEL, "demo-therapist", "Daniel", "Brennan"),
    ),
    patients=(
        PatientDef("login", "Priya", "Raman", dt.date(1994, 3, 12), "pfp", "right", PFP, MAYA, 4, (1, 3),
                   miss_rate=0.05, login=("patient@demo.clinic", "demo-patient"), last_session_days_ago=1,
                   pain_during=(3, 1), morning_drop=3),
        PatientDef("", "Oliver", "Bennett", dt.date(1988, 7, 30), "pfp", "left", PFP, MAYA, 3, (1, 2)),
        PatientDef("red_pain", "Hannah", "Kowalski", dt.date(1999, 11, 4), "pfp", "right", PFP, MAYA, 3, (1, 1),
                   last_session_days_ago=2, red_pain_last=True),
        PatientDef("low_adherence", "George", "Adeyemi", dt.date(1983, 1, 21), "pfp", "left", PFP, DANIEL, 4,
                   (0, 4), sparse_last_weeks=4, morning_drop=1),
        PatientDef("", "Chloe", "Martin", dt.date(2001, 5, 18), "pfp", "both", PFP, DANIEL, 5, (0, 6),
                   pain_during=(3, 2), morning_drop=1),
        PatientDef("", "Samuel", "Fischer", dt.date(1991, 9, 9), "pfp", "right", PFP, MAYA, 2, (1, 5),
                   sessions_per_week=4, pain_during=(2, 1)),
        PatientDef("", "Aisha", "Siddiqui", dt.date(1996, 12, 2), "pfp", "left", PFP, DANIEL, 3, (0, 5),
                   morning_drop=2),
        PatientDef("", "Lucy", "Harrington", dt.date(1986, 4, 25), "pfp", "right", PFP, MAYA, 4, (1, 4),
                   morning_drop=2),
        PatientDef("near_gate", "Marcus", "Doyle", dt.date(1997, 8, 14), "acl", "left", ACL, MAYA, 2, (2, 2),
                   sessions_per_week=5, miss_rate=0.03, surgery_weeks_ago=16, last_session_days_ago=2,
                   pain_during=(2, 1),
                   measurements=MeasurementPlan(("1+", "trace", "trace", "trace"), (60, 78), (62, 68), (88, 97))),
        PatientDef("", "Elena", "Petrova", dt.date(1993, 2, 27), "acl", "right", ACL, DANIEL, 2, (1, 7),
                   sessions_per_week=4, surgery_weeks_ago=19,
                   measurements=MeasurementPlan(("trace", "trace", "0", "0"), (58, 74), (55, 66), (90, 98))),
        PatientDef("", "Jack", "Thornton", dt.date(2003, 10, 6), "acl", "right", ACL, MAYA, 3, (1, 1),
                   surgery_weeks_ago=12,
                   measurements=MeasurementPlan(("1+", "1+", "trace", "trace"), (52, 66), (50, 55), (82, 93))),
        PatientDef("", "Zoe", "Campbell", dt.date(2000, 6, 21), "acl", "left", ACL, DANIEL, 3, (1, 4),
                   surgery_weeks_ago=14, morning_drop=2,
                   measurements=MeasurementPlan(("1+", "trace", "trace", "trace"), (55, 71), (60, 64), (85, 95))),
        # A Spanish-speaking patient: her pages, e-mails and reminders are in Spanish, her notes too. Last, with
        # her own random numbers, so the other patients' histories are the same as before she came.
        PatientDef("spanish", "Lucía", "Fernández", dt.date(1992, 10, 8), "pfp", "left", PFP, DANIEL, 3, (1, 2),
                   miss_rate=0.05, login=("paciente@demo.clinic", "demo-patient"), last_session_days_ago=1,
                   pain_during=(3, 1), morning_drop=2, language="es", own_random_seed=34),
    ),
)

NORTHSIDE = ClinicDef(
    name="Northside Physio",
    slug="northside-physio",
    timezone="Europe/Dublin",
    ref_prefix="NP",
    history_weeks=4,
    staff=(StaffDef("therapist@northside.clinic", "demo-therapist", "Sunita", "Varma"),),
    patients=(
        PatientDef("login", "Ben", "Carter", dt.date(1990, 1, 15), "pfp", "right", PFP,
                   "therapist@northside.clinic", 3, (0, 4), login=("patient@northside.clinic", "demo-patient"),
                   last_session_days_ago=1),
        PatientDef("", "Fatima", "Noor", dt.date(1998, 8, 3), "pfp", "left", PFP, "therapist@northside.clinic", 4,
                   (0, 3), morning_drop=2),
        PatientDef("", "Liam", "O'Connell", dt.date(1995, 12, 19), "acl", "right", ACL,
                   "therapist@northside.clinic", 3, (0, 5), surgery_weeks_ago=14,
                   measurements=MeasurementPlan(("trace", "trace"), (60, 66), (58, 60), (88, 92))),
    ),
)

DEMO_CLINICS: tuple[ClinicDef, ...] = (DEMO_CLINIC, NORTHSIDE)

COMPANION_NOTES = ("", "", "", "Did these at home after work.", "Felt easier than last time.")
WALK_NOTES = ("", "", "", "", "Felt steady today.", "Knee a bit stiff for the first few minutes, then fine.",
              "Needed the handrail more at the start.", "Good session.")
RED_NOTE = "Sharp pain at the front of the knee, so I stopped."
# What a Spanish-speaking patient writes (patients' notes are shown as they wrote them, never translated).
NOTES_BY_LANGUAGE = {
    "es": {
        "companion": ("", "", "", "Los hice en casa después del trabajo.", "Más fácil que la última vez."),
        "walk": ("", "", "", "", "Hoy me sentí estable.", "La rodilla un poco rígida al principio, luego bien.",
                 "Necesité más el pasamanos al principio.", "Buena sesión."),
        "red": "Dolor agudo en la parte delantera de la rodilla, así que paré.",
    },
}
