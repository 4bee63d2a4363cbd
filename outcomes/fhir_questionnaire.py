"""Read a FHIR R4 Questionnaire defensively and map it onto an instrument. Pure: no database.

What is read
------------
- The body: at most MAX_BYTES, UTF-8 JSON (a byte-order mark is allowed), nested at most MAX_DEPTH deep,
  an object with `resourceType` "Questionnaire" and a non-empty `item` list.
- The questions: every item that is not a `group` or `display`, depth first in document order (groups are
  walked into), at most MAX_ITEMS of them; each needs a `linkId` and `text`.
- An answer's value, in this order: the ordinal extension (R4 `ordinalValue`, or the older `itemWeight`)
  when present, else `valueInteger`, else `valueCoding.code` when it is a whole number. Its label:
  `valueCoding.display`, else `valueString`, else the value itself. An answer with none of these values
  is refused, naming the item.

Matching (`match_instrument`)
-----------------------------
1. `Questionnaire.code` carries an instrument's panel LOINC code (KOOS 72091-2), or
2. the questions' linkIds are exactly one licensed instrument's item ids, or
3. every item of an instrument has a LOINC code (`Item.code`) that exactly one question's `code` carries
   (no licensed item has a verified code in outcomes.md yet: this is ready for when one is added), or
4. none of these: the admin names the instrument, and the questions map onto its items by order
   (questions still map by linkId, or by item code, when those match).
Then the mapping is checked (`map_wording`): the same number of questions as the instrument has items,
and for each item the same number of answers with the same values; the first that differs is named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from outcomes import instruments
from outcomes.instruments import Instrument

MAX_BYTES = 512 * 1024
MAX_DEPTH = 20
MAX_ITEMS = 300
MAX_ANSWERS = 120  # per item (ACL-RSI has 11, IKDC 11)
MAX_TEXT = 2000
ORDINAL_URLS = ("http://hl7.org/fhir/StructureDefinition/ordinalValue",
                "http://hl7.org/fhir/StructureDefinition/itemWeight")
NOT_QUESTIONS = {"group", "display"}


class QuestionnaireImportError(ValueError):
    """The file cannot be imported; `message` says why (and `item_id` which question differs, if one does)."""

    def __init__(self, message: str, *, item_id: str | None = None):
        self.message = message
        self.item_id = item_id
        super().__init__(message)


class NeedsConfirmation(QuestionnaireImportError):
    """The file names no instrument Backstep recognises: the admin has to say which it is."""


@dataclass(frozen=True)
class Answer:
    value: int
    label: str


@dataclass(frozen=True)
class Question:
    link_id: str
    text: str
    codes: tuple[str, ...]
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class ParsedQuestionnaire:
    title: str
    codes: tuple[str, ...]
    questions: tuple[Question, ...]
    resource: dict


def parse(raw: bytes) -> ParsedQuestionnaire:
    """The questionnaire in `raw`, or QuestionnaireImportError saying what is wrong with it."""
    if not raw:
        raise QuestionnaireImportError(_("The file is empty."))
    if len(raw) > MAX_BYTES:
        raise QuestionnaireImportError(_("The file is too large: at most %(kb)d KB.") % {"kb": MAX_BYTES // 1024})
    try:
        resource = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise QuestionnaireImportError(_("The file is not UTF-8 text.")) from None
    except RecursionError:
        raise QuestionnaireImportError(_("The JSON is nested too deeply (at most %(depth)d levels).")
            % {"depth": MAX_DEPTH}) from None
    except ValueError as error:
        raise QuestionnaireImportError(_("The file is not valid JSON: %(error)s.") % {"error": error}) from None
    _check_depth(resource)
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        found = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
        raise QuestionnaireImportError(_("This is not a FHIR Questionnaire (resourceType: %(found)r).")
            % {"found": str(found)[:40]})
    if not isinstance(resource.get("item"), list) or not resource["item"]:
        raise QuestionnaireImportError("The Questionnaire has no items.")
    questions: list[Question] = []
    _collect(resource["item"], questions)
    if not questions:
        raise QuestionnaireImportError("The Questionnaire has no questions (only groups or display text).")
    title = _text(resource.get("title") or resource.get("name") or "", "title") or "Questionnaire"
    return ParsedQuestionnaire(title=title[:200], codes=_codes(resource.get("code")), questions=tuple(questions),
                               resource=resource)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _check_depth(value, depth: int = 0) -> None:
    """Nesting within MAX_DEPTH, and no NUL character anywhere (PostgreSQL's JSON cannot store one)."""
    if depth > MAX_DEPTH:
        raise QuestionnaireImportError(f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).")
    if isinstance(value, str) and "\x00" in value:
        raise QuestionnaireImportError(_("The file contains a NUL character (\\u0000), which no text may hold."))
    if isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    else:
        children = value if isinstance(value, list) else ()
    for child in children:
        _check_depth(child, depth + 1)


def _collect(items, questions: list[Question]) -> None:
    if not isinstance(items, list):
        raise QuestionnaireImportError(_("An item list is not a list."))
    for item in items:
        if not isinstance(item, dict):
            raise QuestionnaireImportError(_("An item is not an object."))
        if isinstance(item.get("type"), str) and item["type"] in NOT_QUESTIONS:
            _collect(item.get("item") or [], questions)
            continue
        if len(questions) >= MAX_ITEMS:
            raise QuestionnaireImportError(f"The Questionnaire has more than {MAX_ITEMS} questions.")
        questions.append(_question(item, len(questions) + 1))


def _question(item: dict, position: int) -> Question:
    link_id = item.get("linkId")
    if not isinstance(link_id, str) or not link_id.strip() or len(link_id) > 100:
        raise QuestionnaireImportError(f"Question {position} has no linkId.")
    text = _text(item.get("text"), f"item {link_id}")
    if not text:
        raise QuestionnaireImportError(f"Item {link_id} has no text.", item_id=link_id)
    options = item.get("answerOption") or []
    if not isinstance(options, list) or len(options) > MAX_ANSWERS:
        raise QuestionnaireImportError(f"Item {link_id}: answerOption must be a list of at most {MAX_ANSWERS}.",
                                       item_id=link_id)
    return Question(link_id=link_id, text=text, codes=_codes(item.get("code")),
                    answers=tuple(_answer(option, link_id) for option in options))


def _answer(option, link_id: str) -> Answer:
    if not isinstance(option, dict):
        raise QuestionnaireImportError(f"Item {link_id}: an answer option is not an object.", item_id=link_id)
    coding = option.get("valueCoding") if isinstance(option.get("valueCoding"), dict) else {}
    value = _ordinal(option) if _ordinal(option) is not None else _ordinal(coding)
    if value is None and _is_int(option.get("valueInteger")):
        value = option["valueInteger"]
    if value is None and isinstance(coding.get("code"), str) and coding["code"].lstrip("-").isdigit():
        value = int(coding["code"])
    if value is None:
        raise QuestionnaireImportError(
            f"Item {link_id}: an answer has no value Backstep can score (give the ordinalValue extension, "
            "valueInteger, or a valueCoding whose code is a whole number).", item_id=link_id)
    label = _text(coding.get("display") or option.get("valueString") or str(value), f"item {link_id}")
    return Answer(value=value, label=label)


def _ordinal(element: dict) -> int | None:
    for extension in element.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") in ORDINAL_URLS:
            number = extension.get("valueDecimal", extension.get("valueInteger"))
            if isinstance(number, (int, float)) and not isinstance(number, bool) and number == int(number):
                return int(number)
    return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise QuestionnaireImportError(f"The text of {where} is not a string.")
    if len(value) > MAX_TEXT:
        raise QuestionnaireImportError(f"The text of {where} is longer than {MAX_TEXT} characters.")
    return value.strip()


def _codes(codings) -> tuple[str, ...]:
    if not isinstance(codings, list):
        return ()
    return tuple(c["code"] for c in codings if isinstance(c, dict) and isinstance(c.get("code"), str))


def match_instrument(parsed: ParsedQuestionnaire, confirmed_id: str | None = None) -> Instrument:
    """The licensed instrument this questionnaire is: by LOINC code, by linkIds, or as the admin confirmed."""
    if confirmed_id:
        try:
            instrument = instruments.get(confirmed_id)
        except instruments.UnknownInstrument:
            raise QuestionnaireImportError(f"There is no instrument {confirmed_id!r}.") from None
        if not instrument.licensed:
            raise QuestionnaireImportError(f"{instrument.title} is built in: its wording is Backstep's own.")
        return instrument
    licensed = instruments.licensed_instruments()
    by_code = [i for i in licensed if i.loinc and i.loinc in parsed.codes]
    link_ids = {question.link_id for question in parsed.questions}
    by_links = [i for i in licensed if set(i.item_ids) == link_ids]
    by_item_codes = [i for i in licensed if _paired_by_item_code(i, parsed.questions) is not None]
    found = by_code or by_links or by_item_codes
    if len(found) != 1:
        raise NeedsConfirmation(_("Backstep cannot tell which instrument this questionnaire is: "
                                "choose it, and the questions will be matched to its items in order."))
    return found[0]


def _paired_by_item_code(instrument: Instrument, questions) -> list[Question] | None:
    """The question for each item by the item's LOINC code (item.code), when every item has a code that
    exactly one question carries; else None."""
    if not all(item.code for item in instrument.items):
        return None
    paired = []
    for item in instrument.items:
        matches = [question for question in questions if item.code in question.codes]
        if len(matches) != 1:
            return None
        paired.append(matches[0])
    return paired


def map_wording(parsed: ParsedQuestionnaire, instrument: Instrument) -> dict[str, dict]:
    """Item id -> {"text", "options": {"<value>": label}}; QuestionnaireImportError naming the item that differs."""
    questions = parsed.questions
    if len(questions) != len(instrument.items):
        raise QuestionnaireImportError(
            f"The file has {len(questions)} questions; {instrument.title} has {len(instrument.items)} items.")
    by_link = {question.link_id: question for question in questions}
    by_code = _paired_by_item_code(instrument, questions)
    if set(by_link) == set(instrument.item_ids):
        pairs = [(item, by_link[item.id]) for item in instrument.items]
    elif by_code is not None:
        pairs = list(zip(instrument.items, by_code, strict=True))
    else:
        pairs = list(zip(instrument.items, questions, strict=True))
    wording = {}
    for item, question in pairs:
        _check_answers(item, question)
        wording[item.id] = {"text": question.text,
                            "options": {str(answer.value): answer.label for answer in question.answers}}
    return wording


def _check_answers(item, question: Question) -> None:
    name = item.id if item.id == question.link_id else f"{item.id} (linkId {question.link_id})"
    expected = item.values
    given = tuple(answer.value for answer in question.answers)
    if len(given) != len(expected):
        raise QuestionnaireImportError(
            f"Item {name} has {len(given)} answers; the instrument's item has {len(expected)} "
            f"(values {_listed(expected)}).", item_id=item.id)
    if sorted(given) != list(expected):
        raise QuestionnaireImportError(
            f"Item {name} has the answer values {_listed(given)}; the instrument's item has {_listed(expected)}.",
            item_id=item.id)


def _listed(values) -> str:
    return ", ".join(str(value) for value in values)
