"""The instruments Backstep knows, by id: `get(instrument_id)` and `all_instruments()`.

Structure lives in `base` (plain frozen dataclasses, no Django); the licensed
instruments (wording imported by each clinic) in `knee` and `sport`, the
built-ins with Backstep's wording in `builtin`. Scoring is `outcomes.scoring`.
"""

from __future__ import annotations

from outcomes.instruments.base import Instrument, Item, Option, Scale
from outcomes.instruments.builtin import GROC, KNEE_PAIN_WEEKLY, PSFS, PSFS_ACTIVITY_IDS, SANE
from outcomes.instruments.knee import AKPS, KOOS, KOOS_12, KOOS_PF
from outcomes.instruments.sport import ACL_RSI, ACL_RSI_SHORT, IKDC, LEFS, TEGNER

__all__ = ["Instrument", "Item", "Option", "Scale", "UnknownInstrument", "get", "all_instruments",
           "built_in_instruments", "licensed_instruments", "PSFS_ACTIVITY_IDS"]

_ALL = (KOOS, KOOS_12, KOOS_PF, AKPS, IKDC, ACL_RSI, ACL_RSI_SHORT, LEFS, TEGNER,
        SANE, GROC, PSFS, KNEE_PAIN_WEEKLY)
_BY_ID = {instrument.id: instrument for instrument in _ALL}


class UnknownInstrument(LookupError):
    """No instrument has this id."""

    def __init__(self, instrument_id):
        self.instrument_id = instrument_id
        super().__init__(f"No instrument with id {instrument_id!r}.")


def get(instrument_id: str) -> Instrument:
    """The instrument with this id; UnknownInstrument when there is none."""
    try:
        return _BY_ID[instrument_id]
    except (KeyError, TypeError):
        raise UnknownInstrument(instrument_id) from None


def all_instruments() -> tuple[Instrument, ...]:
    """Every instrument, licensed first, in a fixed order."""
    return _ALL


def built_in_instruments() -> tuple[Instrument, ...]:
    return tuple(instrument for instrument in _ALL if not instrument.licensed)


def licensed_instruments() -> tuple[Instrument, ...]:
    return tuple(instrument for instrument in _ALL if instrument.licensed)


def licensed_instrument_texts() -> set[str]:
    """Backstep's own words about the licensed instruments (titles, scale names, for whom, context), as written
    in knee.py and sport.py, for `clinic.builtin_text`. Their items' wording is the clinic's import: never here."""
    texts = set()
    for instrument in licensed_instruments():
        texts.update((instrument.title, instrument.for_whom))
        texts.update(scale.title for scale in instrument.scales)
        texts.update(scale.context for scale in instrument.scales)
    texts.discard(None)
    texts.discard("")
    return texts
