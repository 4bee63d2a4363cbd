"""Questionnaire schedules (protocol and assignment) and patients' responses with their scores."""

__all__: list[str] = []
