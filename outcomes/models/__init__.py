"""Outcome questionnaires' tables: a clinic's imported wording, schedules and the patients' responses."""

from outcomes.models.imports import *  # noqa: F401,F403
from outcomes.models.responses import *  # noqa: F401,F403
from outcomes.models.thresholds import *  # noqa: F401,F403
