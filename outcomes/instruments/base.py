"""What an instrument is, as plain frozen data: items, answer values, scales and the rules that score them.

No Django import: `outcomes.scoring` applies these rules without a database,
and the `score_questionnaire` command and the score API use them the same way.

Answer values
-------------
An answer is an int: the value the instrument's scoring uses, never a position
on the form. A choice item lists its allowed values as `options` (a licensed
instrument's options carry `label=None`: its wording is the clinic's import,
`outcomes.selectors.instrument_wording`). A numeric-range item (SANE 0-100,
pain 0-10, PSFS 0-10, GROC -7..+7) has no options: `minimum`, `maximum` and
`step` say which ints are allowed (`Item.allows`).

Reverse items (IKDC items 2 and 3) are answered as on the form and scored as
`minimum + maximum - value` (`Item.scored_value`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

# How a scale turns its answered items into a score (outcomes.md, per instrument).
KOOS_MEAN = "koos_mean"  # 100 - mean x 25 over the answered items (0-4 each; 100 = no problems)
MEAN = "mean"  # mean of the answered items (ACL-RSI, PSFS)
SUM = "sum"  # sum of the items (AKPS, LEFS)
PERCENT_OF_MAX = "percent_of_max"  # sum / maximum possible of the answered items x 100 (IKDC)
VALUE = "value"  # a single item's value (Tegner, SANE, GROC, pain)
MEAN_OF_SCALES = "mean_of_scales"  # mean of other scales' scores (KOOS-12 summary); all must be scorable
METHODS = (KOOS_MEAN, MEAN, SUM, PERCENT_OF_MAX, VALUE, MEAN_OF_SCALES)

# How a change is judged (`outcomes.scoring.important_change`).
CHANGE_FROM_FIRST = "from_first"  # latest - first against `important_change`, with `higher_is_better`
CHANGE_RATING = "rating"  # the score is itself a change rating (GROC): the latest alone against the cut-offs
NO_THRESHOLD = "none"  # show the change, never judge it (Tegner, ACL-RSI)


@dataclass(frozen=True)
class Option:
    """One allowed answer of a choice item: the value scored, and Backstep's label (None when licensed)."""

    value: int
    label: str | None = None


@dataclass(frozen=True)
class Item:
    """One question, by its FHIR linkId (`id`).

    Either a choice item (`options` non-empty) or a numeric range item
    (`options` empty; `minimum`..`maximum` in steps of `step`). `scored=False`
    items are asked and stored but never counted (IKDC 10a). `code` is the
    item's LOINC code when one is known; import matches on it.
    """

    id: str
    text: str | None
    options: tuple[Option, ...] = ()
    scored: bool = True
    reverse: bool = False
    code: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    step: int = 1
    minimum_label: str | None = None  # anchor wording of a numeric item (built-ins only)
    maximum_label: str | None = None

    def __post_init__(self):
        if not self.options and (self.minimum is None or self.maximum is None):
            raise ValueError(f"item {self.id}: give options or a minimum and maximum")

    @property
    def is_numeric(self) -> bool:
        return not self.options

    @property
    def values(self) -> tuple[int, ...]:
        """Every allowed answer value, lowest first."""
        if self.options:
            return tuple(sorted(option.value for option in self.options))
        return tuple(range(self.minimum, self.maximum + 1, self.step))

    @property
    def lowest(self) -> int:
        return min(self.values)

    @property
    def highest(self) -> int:
        return max(self.values)

    def allows(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        if self.options:
            return any(option.value == value for option in self.options)
        return self.minimum <= value <= self.maximum and (value - self.minimum) % self.step == 0

    def scored_value(self, value: int) -> int:
        """The value the scale counts: reverse items turn round (IKDC 2 and 3: 10 - answer)."""
        return self.lowest + self.highest - value if self.reverse else value


@dataclass(frozen=True)
class Scale:
    """A score the instrument reports (a KOOS subscale, a total, a single value).

    `min_answered`: the scale is scored only when at least this many of its
    items are answered (outcomes.md missing-item rules). `minimum`/`maximum`:
    the range of the score. `important_change`: the change from the first
    score that matters (points), judged with `higher_is_better`; for a
    change-rating scale (GROC) `improved_at`/`worse_at` are the cut-offs on the
    value itself. `context` is wording shown next to the score, never a rule.
    """

    id: str
    title: str
    item_ids: tuple[str, ...]
    method: str
    min_answered: int
    minimum: Decimal
    maximum: Decimal
    higher_is_better: bool = True
    change_kind: str = CHANGE_FROM_FIRST
    important_change: Decimal | None = None
    improved_at: Decimal | None = None
    worse_at: Decimal | None = None
    from_scales: tuple[str, ...] = ()  # MEAN_OF_SCALES only
    threshold_verified: bool = False  # False: outcomes.md marks it unverified, a default the clinic may change
    context: str = ""
    code: str | None = None  # the score's LOINC code when verified (KOOS symptoms 72101-9)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"scale {self.id}: unknown method {self.method}")


@dataclass(frozen=True)
class Instrument:
    """A questionnaire's structure and scoring rules, versioned.

    `licensed=True`: Backstep ships no wording (item text and option labels are
    None) and the clinic imports its licensed text; built-ins carry Backstep's
    own wording. `primary_scale_id` is the headline score (charts, flags).
    `loinc` is the panel's LOINC code when verified in outcomes.md; import
    matches on it. `source` names where the rules come from.
    """

    id: str
    version: str
    title: str
    licensed: bool
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    primary_scale_id: str
    loinc: str | None = None
    for_whom: str = ""
    source: str = ""
    _items_by_id: dict = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        by_id = {item.id: item for item in self.items}
        if len(by_id) != len(self.items):
            raise ValueError(f"{self.id}: duplicate item ids")
        for scale in self.scales:
            unknown = set(scale.item_ids) - set(by_id)
            if unknown:
                raise ValueError(f"{self.id}/{scale.id}: unknown items {sorted(unknown)}")
        if self.primary_scale_id not in {scale.id for scale in self.scales}:
            raise ValueError(f"{self.id}: primary scale {self.primary_scale_id} is not a scale")
        object.__setattr__(self, "_items_by_id", by_id)

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError when the instrument has none)."""
        return self._items_by_id[item_id]

    def has_item(self, item_id: str) -> bool:
        return item_id in self._items_by_id

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    @property
    def primary(self) -> Scale:
        return self.scale(self.primary_scale_id)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def with_important_change(self, changes: dict[str, Decimal]) -> Instrument:
        """A copy whose scales' important change is the clinic's own (scale id -> points).

        The unverified thresholds of outcomes.md are defaults: a clinic may set its own. The structure and
        scoring stay the instrument's; only the thresholds change. A change-rating scale (GROC) takes the value
        as its cut-offs either way (>= +value improved, <= -value worse).
        """
        unknown = set(changes) - {scale.id for scale in self.scales}
        if unknown:
            raise KeyError(f"{self.id} has no scale {sorted(unknown)}")
        scales = tuple(_with_threshold(scale, Decimal(changes[scale.id])) if scale.id in changes else scale
                       for scale in self.scales)
        return replace(self, scales=scales)


def _with_threshold(scale: Scale, value: Decimal) -> Scale:
    if scale.change_kind == CHANGE_RATING:
        return replace(scale, improved_at=value, worse_at=-value, threshold_verified=False)
    return replace(scale, important_change=value, threshold_verified=False)


def default_threshold(scale: Scale) -> Decimal | None:
    """The scale's own threshold as one number: the important change, or a rating scale's improved cut-off."""
    if scale.change_kind == CHANGE_RATING:
        return scale.improved_at
    if scale.change_kind == NO_THRESHOLD:
        return None
    return scale.important_change


def threshold_limit(scale: Scale) -> Decimal:
    """The largest threshold that can mean anything: the whole range, or a rating scale's top."""
    return scale.maximum if scale.change_kind == CHANGE_RATING else scale.maximum - scale.minimum


def choice_item(item_id: str, values, *, code: str | None = None, reverse: bool = False,
                scored: bool = True) -> Item:
    """A licensed choice item: its answer values without wording."""
    return Item(id=item_id, text=None, options=tuple(Option(v) for v in values), code=code, reverse=reverse,
                scored=scored)
