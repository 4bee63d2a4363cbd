"""Function and return-to-sport instruments (licensed): IKDC subjective, ACL-RSI (12 and short 6), LEFS, Tegner.

Structure, answer values and scoring from /shared/docs/outcomes.md; no wording.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_noop

from outcomes.instruments.base import MEAN, NO_THRESHOLD, PERCENT_OF_MAX, SUM, VALUE, Instrument, Scale, choice_item

ZERO = Decimal(0)
HUNDRED = Decimal(100)
ZERO_TO_FOUR = tuple(range(5))
ZERO_TO_TEN = tuple(range(11))

# IKDC Subjective Knee Form: answers are the item scores with the lowest answer = 0 (the form's
# "lowest level of function" box). Items 2 and 3 (pain frequency and severity) are answered 0 (no pain)
# .. 10 (worst) and reverse-scored (10 - answer). Item 6 (locking) is 0 (yes) / 1 (no).
# Item 10a (function before the injury) is asked but not scored. 18 scored items, maximum 87.
_IKDC_ITEMS = (
    choice_item("I1", ZERO_TO_FOUR),
    choice_item("I2", ZERO_TO_TEN, reverse=True),
    choice_item("I3", ZERO_TO_TEN, reverse=True),
    choice_item("I4", ZERO_TO_FOUR),
    choice_item("I5", ZERO_TO_FOUR),
    choice_item("I6", (0, 1)),
    choice_item("I7", ZERO_TO_FOUR),
    choice_item("I8", ZERO_TO_FOUR),
    *(choice_item(f"I9{letter}", ZERO_TO_FOUR) for letter in "abcdefghi"),
    choice_item("I10", ZERO_TO_TEN),
    choice_item("I10a", ZERO_TO_TEN, scored=False),
)
IKDC = Instrument(
    id="ikdc", version="1", title=gettext_noop("IKDC Subjective Knee Form"), licensed=True, items=_IKDC_ITEMS,
    # Sum / maximum of the answered items x 100; scorable with at most 2 of the 18 missing (>= 16 answered).
    # Important change 11.5 points (Irrgang 2006; unverified here, a default).
    scales=(Scale(id="total", title=gettext_noop("Total"), item_ids=tuple(i.id for i in _IKDC_ITEMS if i.scored),
                  method=PERCENT_OF_MAX, min_answered=16, minimum=ZERO, maximum=HUNDRED,
                  important_change=Decimal("11.5")),),
    primary_scale_id="total", for_whom=gettext_noop("ACL reconstruction"),
    source="outcomes.md: IKDC scoring instructions; Irrgang 2006",
)

_RSI_VALUES = tuple(range(0, 101, 10))
_RSI_CONTEXT = gettext_noop("Short form: 60 or more is associated with returning to the pre-injury level, "
                            "below 39 with not returning (Webster & Feller 2018). Context only, never a rule.")


def _acl_rsi(instrument_id: str, title: str, count: int, context: str) -> Instrument:
    item_ids = tuple(f"R{n}" for n in range(1, count + 1))
    return Instrument(
        id=instrument_id, version="1", title=title, licensed=True,
        items=tuple(choice_item(item_id, _RSI_VALUES) for item_id in item_ids),
        # Mean of the items 0-100, complete forms only (an unverified default rule); no change threshold.
        scales=(Scale(id="total", title=gettext_noop("Total"), item_ids=item_ids, method=MEAN, min_answered=count,
                      minimum=ZERO, maximum=HUNDRED, change_kind=NO_THRESHOLD, context=context),),
        primary_scale_id="total", for_whom=gettext_noop("return to sport after ACL reconstruction"),
        source="outcomes.md: Webster 2008; Webster & Feller 2018",
    )


ACL_RSI = _acl_rsi("acl-rsi", gettext_noop("ACL-RSI (ACL Return to Sport after Injury)"), 12, "")
# The short form's six items are numbered R1-R6 in the order the clinic's imported form gives them.
ACL_RSI_SHORT = _acl_rsi("acl-rsi-6", gettext_noop("ACL-RSI short form (6 items)"), 6, _RSI_CONTEXT)

# LEFS: 20 items 0 (extreme difficulty or unable) .. 4 (no difficulty); sum 0-80; complete forms only
# (unverified default rule). Important change 9 points (Binkley 1999, Phys Ther 79:371; MDC 9).
LEFS = Instrument(
    id="lefs", version="1", title=gettext_noop("LEFS (Lower Extremity Functional Scale)"), licensed=True,
    items=tuple(choice_item(f"L{n}", ZERO_TO_FOUR) for n in range(1, 21)),
    scales=(Scale(id="total", title=gettext_noop("Total"), item_ids=tuple(f"L{n}" for n in range(1, 21)), method=SUM,
                  min_answered=20, minimum=ZERO, maximum=Decimal(80), important_change=Decimal(9),
                  threshold_verified=True),),
    primary_scale_id="total", for_whom=gettext_noop("lower limb function"),
    source="outcomes.md: Binkley 1999, Phys Ther 79:371",
)

# Tegner activity level: one level 0 (sick leave or disability) .. 10 (national elite soccer).
# The change is shown, never judged.
TEGNER = Instrument(
    id="tegner", version="1", title=gettext_noop("Tegner activity level"), licensed=True,
    items=(choice_item("T1", ZERO_TO_TEN),),
    scales=(Scale(id="level", title=gettext_noop("Activity level"), item_ids=("T1",), method=VALUE, min_answered=1,
                  minimum=ZERO, maximum=Decimal(10), change_kind=NO_THRESHOLD),),
    primary_scale_id="level", for_whom=gettext_noop("activity level"),
    source="outcomes.md: Tegner & Lysholm 1985",
)
