"""Test wording for a licensed instrument, as a FHIR R4 Questionnaire, for tests and the demo.

Backstep ships no licensed wording. The demo and the tests still need a licensed instrument a clinic
has imported, so this builds a Questionnaire whose every text says it is test wording (and carries the
meta.tag "test-wording", so the import marks it as such and pages say so). Use
`import_test_wording(clinic, user)` for KOOS-PF (the default) or any other licensed instrument.
"""

from __future__ import annotations

import json

from outcomes import instruments
from outcomes.services import TEST_WORDING_TAG, questionnaire_import

TEST_MARK = "Test wording — not the licensed text"
DEMO_INSTRUMENT = "koos-pf"


def questionnaire_with_test_wording(instrument_id: str = DEMO_INSTRUMENT) -> dict:
    """A Questionnaire for `instrument_id` with linkIds = item ids and answers coded by their values."""
    instrument = instruments.get(instrument_id)
    resource = {
        "resourceType": "Questionnaire",
        "status": "draft",
        "meta": {"tag": [{"code": TEST_WORDING_TAG, "display": TEST_MARK}]},
        "title": f"{instrument.title} ({TEST_MARK})",
        "item": [_item(item, position) for position, item in enumerate(instrument.items, start=1)],
    }
    if instrument.loinc:
        resource["code"] = [{"system": "http://loinc.org", "code": instrument.loinc}]
    return resource


def _item(item, position: int) -> dict:
    return {
        "linkId": item.id,
        "type": "choice",
        "text": f"Question {position} ({TEST_MARK})",
        "answerOption": [{"valueCoding": {"code": str(value), "display": f"Answer worth {value} (test wording)"}}
                         for value in item.values],
    }


def import_test_wording(clinic, user=None, instrument_id: str = DEMO_INSTRUMENT):
    """Import test wording for one licensed instrument into `clinic` (replacing its active wording)."""
    raw = json.dumps(questionnaire_with_test_wording(instrument_id)).encode()
    return questionnaire_import(clinic, user, raw, is_test_wording=True)
