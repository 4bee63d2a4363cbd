"""The simulator behind `manage.py simulate_progression` and POST /api/v1/progression/simulate/."""

from __future__ import annotations

from typing import Any

from protocols.engine import EngineInputError, evaluate


def simulate_one(item: Any) -> dict:
    try:
        return evaluate(item)
    except EngineInputError as error:
        return {"error": error.as_dict()}


def simulate(data: Any) -> dict | list:
    """An object gives a decision (or an error object); a list gives a list, errors in place."""
    if isinstance(data, list):
        return [simulate_one(item) for item in data]
    return simulate_one(data)
