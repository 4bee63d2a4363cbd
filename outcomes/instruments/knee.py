"""The knee instruments (licensed): KOOS, KOOS-12, KOOS-PF and the AKPS (Kujala).

Structure, answer values and scoring from /shared/docs/outcomes.md; no wording
(the clinic imports it). KOOS answers are 0 (no problem) .. 4 (extreme), as the
KOOS scoring guide counts them.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_noop

from outcomes.instruments.base import KOOS_MEAN, MEAN_OF_SCALES, SUM, Instrument, Scale, choice_item

ZERO_TO_FOUR = (0, 1, 2, 3, 4)
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def _ids(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for n in range(1, count + 1))


def _koos_scale(scale_id: str, title: str, item_ids: tuple[str, ...], min_answered: int, *,
                change: str = "10", verified: bool = False, code: str | None = None) -> Scale:
    return Scale(id=scale_id, title=title, item_ids=item_ids, method=KOOS_MEAN, min_answered=min_answered,
                 minimum=ZERO, maximum=HUNDRED, important_change=Decimal(change), threshold_verified=verified,
                 code=code)


KOOS_SUBSCALES = (
    ("pain", gettext_noop("Pain"), "P", 9, 5, None),
    ("symptoms", gettext_noop("Symptoms"), "S", 7, 4, "72101-9"),
    ("adl", gettext_noop("Activities of daily living"), "A", 17, 9, None),
    ("sport", gettext_noop("Sport and recreation"), "SP", 5, 3, None),
    ("qol", gettext_noop("Knee-related quality of life"), "Q", 4, 2, None),
)

# KOOS: 42 items, five subscales each 100 - mean x 25, scored with >= 50 % answered.
# Important change: 10 points per subscale, a default (studies range 8-17; unverified single value).
KOOS = Instrument(
    id="koos", version="1", title=gettext_noop("KOOS (Knee injury and Osteoarthritis Outcome Score)"), licensed=True,
    items=tuple(choice_item(item_id, ZERO_TO_FOUR)
                for _, _, prefix, count, _, _ in KOOS_SUBSCALES for item_id in _ids(prefix, count)),
    scales=tuple(_koos_scale(scale_id, title, _ids(prefix, count), minimum, code=code)
                 for scale_id, title, prefix, count, minimum, code in KOOS_SUBSCALES),
    primary_scale_id="pain", loinc="72091-2", for_whom=gettext_noop("knee injury, ACL reconstruction"),
    source="outcomes.md: KOOS scoring guide (Roos)",
)

# KOOS-12: Pain 4, Function 4, QOL 4; each scale 100 - mean x 25 with >= 2 items; summary = mean of the 3.
# Important change 10 points: a default (unverified).
_KOOS12_SCALES = (
    _koos_scale("pain", gettext_noop("Pain"), _ids("P", 4), 2),
    _koos_scale("function", gettext_noop("Function"), _ids("F", 4), 2),
    _koos_scale("qol", gettext_noop("Knee-related quality of life"), _ids("Q", 4), 2),
)
KOOS_12 = Instrument(
    id="koos-12", version="1", title=gettext_noop("KOOS-12"), licensed=True,
    items=tuple(choice_item(item_id, ZERO_TO_FOUR) for scale in _KOOS12_SCALES for item_id in scale.item_ids),
    scales=_KOOS12_SCALES + (
        Scale(id="summary", title=gettext_noop("Summary"), item_ids=(), method=MEAN_OF_SCALES, min_answered=0,
              minimum=ZERO, maximum=HUNDRED, important_change=Decimal(10), from_scales=("pain", "function", "qol")),),
    primary_scale_id="summary", for_whom=gettext_noop("knee"),
    source="outcomes.md",
)

# KOOS-PF: 11 items, 100 - mean x 25; >= 50 % answered (6 of 11) is an unverified default.
# Important change 16 points (Crossley 2018, BJSM 52:1130; MDC 16).
KOOS_PF = Instrument(
    id="koos-pf", version="1", title=gettext_noop("KOOS-PF (patellofemoral pain and osteoarthritis)"), licensed=True,
    items=tuple(choice_item(item_id, ZERO_TO_FOUR) for item_id in _ids("PF", 11)),
    scales=(_koos_scale("pf", gettext_noop("Patellofemoral"), _ids("PF", 11), 6, change="16", verified=True),),
    primary_scale_id="pf", for_whom=gettext_noop("patellofemoral pain"),
    source="outcomes.md: Crossley 2018, BJSM 52:1130",
)

# AKPS (Kujala): 13 items worth unequal points, answer value = the item's points; sum 0-100.
AKPS_POINTS = (
    (5, 3, 0),  # K1 limp
    (5, 3, 0),  # K2 support
    (5, 3, 2, 0),  # K3 walking
    (10, 8, 5, 2, 0),  # K4 stairs
    (5, 4, 3, 2, 0),  # K5 squatting
    (10, 8, 6, 3, 0),  # K6 running
    (10, 7, 2, 0),  # K7 jumping
    (10, 8, 6, 4, 0),  # K8 prolonged sitting with knees bent
    (10, 8, 6, 3, 0),  # K9 pain
    (10, 8, 6, 0),  # K10 swelling
    (10, 6, 4, 0),  # K11 painful kneecap movements
    (5, 3, 0),  # K12 thigh atrophy
    (5, 3, 0),  # K13 flexion deficiency
)
AKPS = Instrument(
    id="akps", version="1", title=gettext_noop("AKPS (Kujala Anterior Knee Pain Scale)"), licensed=True,
    items=tuple(choice_item(f"K{n}", points) for n, points in enumerate(AKPS_POINTS, start=1)),
    # Complete forms only: an unverified default rule (outcomes.md).
    scales=(Scale(id="total", title=gettext_noop("Total"), item_ids=_ids("K", 13), method=SUM, min_answered=13,
                  minimum=ZERO, maximum=HUNDRED, important_change=Decimal(10), threshold_verified=True),),
    primary_scale_id="total", for_whom=gettext_noop("patellofemoral pain"),
    source="outcomes.md: Crossley 2004, Arch Phys Med Rehabil 85:815",
)
