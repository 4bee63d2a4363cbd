"""Score a questionnaire exactly, without the database: answers by item id in, every scale's score out.

The rules are the instrument's (`outcomes.instruments`, from outcomes.md). Rounding: each score is
computed exactly (fractions) and rounded once, at the end, to one decimal place, half away from zero
(Decimal ROUND_HALF_UP): KOOS pain with mean 13/9 is 100 - 13/9 x 25 = 63.888... -> 63.9. A summary
of scales (KOOS-12) is the mean of the exact scale scores, then rounded.

An answer of None (or an item left out) is unanswered. An item id the instrument does not have, or a
value the item does not allow, raises InvalidAnswers naming the item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from outcomes.instruments.base import (
    CHANGE_RATING,
    KOOS_MEAN,
    MEAN,
    MEAN_OF_SCALES,
    NO_THRESHOLD,
    PERCENT_OF_MAX,
    SUM,
    VALUE,
    Instrument,
    Item,
    Scale,
)

IMPROVED = "improved"
WORSE = "worse"
ONE_PLACE = Decimal("0.1")


class InvalidAnswers(ValueError):
    """An answer names an item the instrument does not have, or a value the item does not allow."""

    def __init__(self, item_id, message: str):
        self.item_id = item_id
        self.message = message
        super().__init__(f"{item_id}: {message}")


@dataclass(frozen=True)
class ScaleScore:
    """One scale's score (`value`), or None with the `reason` it cannot be scored."""

    scale_id: str
    title: str
    value: Decimal | None
    reason: str | None
    answered: int
    required: int

    def as_dict(self) -> dict:
        return {"scale": self.scale_id, "title": self.title,
                "value": None if self.value is None else str(self.value),
                "reason": self.reason, "answered": self.answered, "required": self.required}


@dataclass(frozen=True)
class ScoreSet:
    """Every scale of one response, scored by one instrument version."""

    instrument_id: str
    version: str
    scales: tuple[ScaleScore, ...]
    primary_scale_id: str

    @property
    def primary(self) -> ScaleScore:
        """The headline scale (the instrument's `primary_scale_id`)."""
        return self.get(self.primary_scale_id)

    def get(self, scale_id: str) -> ScaleScore:
        for scale_score in self.scales:
            if scale_score.scale_id == scale_id:
                return scale_score
        raise KeyError(scale_id)

    def as_dict(self) -> dict:
        """JSON-ready: values as strings ("63.9") so no float ever rounds them again."""
        return {"instrument": self.instrument_id, "version": self.version, "primary": self.primary_scale_id,
                "scales": [scale_score.as_dict() for scale_score in self.scales]}


def clean_answers(instrument: Instrument, answers: Mapping) -> dict[str, int]:
    """The answered items by id; InvalidAnswers for an unknown item or a value the item does not allow."""
    if not isinstance(answers, Mapping):
        raise InvalidAnswers("answers", "Give the answers as an object of item id to value.")
    answered = {}
    for item_id, value in answers.items():
        if not isinstance(item_id, str) or not instrument.has_item(item_id):
            raise InvalidAnswers(item_id, f"{instrument.id} has no item {item_id!r}.")
        if value is None:
            continue
        item = instrument.item(item_id)
        if not item.allows(value):
            raise InvalidAnswers(item_id, f"{value!r} is not an allowed answer; allowed: {_allowed(item)}.")
        answered[item_id] = value
    return answered


def score(instrument: Instrument, answers: Mapping[str, int | None]) -> ScoreSet:
    """Score every scale of `instrument` from `answers` (item id -> value, None = unanswered)."""
    answered = clean_answers(instrument, answers)
    exact: dict[str, Fraction | None] = {}
    results = []
    for scale in instrument.scales:
        if scale.method == MEAN_OF_SCALES:
            result, value = _score_of_scales(scale, exact)
        else:
            result, value = _score_scale(instrument, scale, answered)
        exact[scale.id] = value
        results.append(result)
    return ScoreSet(instrument.id, instrument.version, tuple(results), instrument.primary_scale_id)


def _score_scale(instrument: Instrument, scale: Scale, answered: dict[str, int]):
    items = [instrument.item(item_id) for item_id in scale.item_ids]
    given = [(item, answered[item.id]) for item in items if item.id in answered]
    count, required = len(given), scale.min_answered
    if count < required:
        reason = (f"Only {count} of {len(items)} items answered; at least {required} are needed."
                  if len(items) > 1 else "Not answered.")
        return ScaleScore(scale.id, scale.title, None, reason, count, required), None
    value = _apply(scale.method, [(item, item.scored_value(v)) for item, v in given])
    return ScaleScore(scale.id, scale.title, rounded(value), None, count, required), value


def _apply(method: str, scored: list[tuple[Item, int]]) -> Fraction:
    values = [Fraction(value) for _, value in scored]
    if method == KOOS_MEAN:
        return 100 - sum(values) / len(values) * 25
    if method == MEAN:
        return sum(values) / len(values)
    if method in (SUM, VALUE):
        return sum(values, Fraction(0))
    if method == PERCENT_OF_MAX:
        possible = sum(item.highest - item.lowest for item, _ in scored)
        return sum(value - item.lowest for (item, _), value in zip(scored, values, strict=True)) / possible * 100
    raise ValueError(f"unknown method {method}")


def _score_of_scales(scale: Scale, exact: dict[str, Fraction | None]):
    parts = [exact.get(scale_id) for scale_id in scale.from_scales]
    scored = [part for part in parts if part is not None]
    required = len(scale.from_scales)
    if len(scored) < required:
        missing = ", ".join(s for s, part in zip(scale.from_scales, parts, strict=True) if part is None)
        reason = f"Needs every scale scored; not scorable: {missing}."
        return ScaleScore(scale.id, scale.title, None, reason, len(scored), required), None
    value = sum(scored) / len(scored)
    return ScaleScore(scale.id, scale.title, rounded(value), None, len(scored), required), value


def rounded(value: Fraction) -> Decimal:
    """One decimal place, half away from zero, from the exact value (no float, no 28-digit cut)."""
    tenths = abs(value) * 10
    whole = int(tenths)  # floor, the value being non-negative
    if tenths - whole >= Fraction(1, 2):
        whole += 1
    sign = -1 if value < 0 else 1
    return (Decimal(sign * whole) / 10).quantize(ONE_PLACE)


def important_change(instrument: Instrument, scale_id: str, first: Decimal | None,
                     latest: Decimal) -> str | None:
    """"improved", "worse" or None: is the change from `first` to `latest` beyond the scale's threshold?

    Direction aware: on a lower-is-better scale (pain) a fall is an improvement. The threshold is
    inclusive (a change of exactly 10 on KOOS counts). A change-rating scale (GROC) judges `latest`
    alone against its cut-offs (>= +3 improved, <= -3 worse; `first` is ignored and may be None).
    A scale without a threshold (Tegner, ACL-RSI) is never judged.
    """
    scale = instrument.scale(scale_id)
    if latest is None or scale.change_kind == NO_THRESHOLD:
        return None
    if scale.change_kind == CHANGE_RATING:
        if latest >= scale.improved_at:
            return IMPROVED
        if latest <= scale.worse_at:
            return WORSE
        return None
    if first is None or scale.important_change is None:
        return None
    change = latest - first if scale.higher_is_better else first - latest
    if change >= scale.important_change:
        return IMPROVED
    if change <= -scale.important_change:
        return WORSE
    return None


def no_problem_answer(instrument: Instrument, item_id: str) -> int:
    """The answer that means "no problem" for this item (the best its scale can count)."""
    item = instrument.item(item_id)
    scale = next((s for s in instrument.scales if item_id in s.item_ids), None)
    if scale is not None and scale.method == KOOS_MEAN:
        return item.lowest  # KOOS counts problems: 0 = none
    best_scored = item.highest if scale is None or scale.higher_is_better else item.lowest
    return next(v for v in item.values if item.scored_value(v) == best_scored)


def describe(instrument: Instrument) -> dict:
    """The instrument's structure as JSON-ready data: items (ids, allowed values) and scales (rules, thresholds)."""
    def number(value):
        return None if value is None else str(value)

    return {
        "instrument": instrument.id, "version": instrument.version, "title": instrument.title,
        "licensed": instrument.licensed, "loinc": instrument.loinc, "primary": instrument.primary_scale_id,
        "items": [{"id": item.id, "allowed": _allowed(item), "scored": item.scored, "reverse": item.reverse}
                  for item in instrument.items],
        "scales": [{"scale": scale.id, "title": scale.title, "items": list(scale.item_ids or scale.from_scales),
                    "method": scale.method, "min_answered": scale.min_answered,
                    "range": [number(scale.minimum), number(scale.maximum)],
                    "higher_is_better": scale.higher_is_better, "change": scale.change_kind,
                    "important_change": number(scale.important_change), "improved_at": number(scale.improved_at),
                    "worse_at": number(scale.worse_at), "threshold_verified": scale.threshold_verified}
                   for scale in instrument.scales],
    }


def _allowed(item: Item) -> str:
    if item.is_numeric:
        step = f" in steps of {item.step}" if item.step != 1 else ""
        return f"whole numbers {item.minimum} to {item.maximum}{step}"
    return ", ".join(str(value) for value in item.values)
