"""A clinic's imported questionnaire wording (licensed instruments)."""

__all__: list[str] = []
