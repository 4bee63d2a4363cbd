"""The engine's reasons are messages: an id and parameters, worded in English for the JSON for machines and in
the reader's language where shown (issue 20: German and Spanish, decimal commas, dates in words)."""

import copy
import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation

from protocols.engine import (
    MESSAGES,
    EngineInputError,
    Message,
    decide,
    evaluate,
    parse_input,
    render_dict,
    render_stored,
)
from protocols.engine.messages import date, level
from protocols.models import describe_load
from protocols.tests import engine_support as spec
from protocols.tests import test_engine_gates_and_flags, test_engine_precedence_and_input, test_engine_rules
from protocols.tests.engine_support import make, running, session
from protocols.wording import format_date, format_day, format_level, format_number

STEP = Message("step.load", {"speed": Fraction(13, 2), "incline": Fraction(5, 2), "duration": 10})
L5 = level(4, 9)

# id: (parameters, the exact English of the JSON, a word of the German, a word of the Spanish).
CASES = {
    "R0.no_sessions": ({"level": level(0, 9)}, "No sessions logged yet: start at level 1 of 9.",
                       "Beginnen Sie mit Stufe 1 von 9", "empiece en el nivel 1 de 9"),
    "R1.pain_red": (
        {"date": date(dt.date(2026, 12, 3)), "pain": 7, "limit": 5,
         "advice": Message("advice.step_down", {"level": level(3, 9)})},
        "Pain during the latest session (3 December 2026) was 7/10, above the 5/10 limit: step down to level 4 of 9 "
        "next time.",
        "(3. Dezember 2026) lag bei 7/10", "(3 de diciembre de 2026) fue de 7/10"),
    "R2.effusion": ({"grade": "2+", "date": date(dt.date(2026, 9, 1))},
                    "Knee effusion graded 2+ on the stroke test of 1 September 2026: stay at the same level until the "
                    "swelling settles.", "Kniegelenkerguss Grad 2+", "Derrame de rodilla de grado 2+"),
    "R3.morning_pain_repeated": (
        {"baseline": 2, "advice": Message("advice.stay_easiest", {"level": level(0, 9)})},
        "Next-morning pain was above the starting level of 2/10 after each of the last two sessions: stay at level 1 "
        "of 9, the easiest.", "auf der leichtesten Stufe bleiben (Stufe 1 von 9)", "el nivel 1 de 9, el más fácil"),
    "R4.morning_pain": ({"pain": 4, "baseline": 2},
                        "Next-morning pain after the latest session was 4/10, above the starting level of 2/10: stay "
                        "at the same level.", "Ausgangswert von 2/10", "valor inicial de 2/10"),
    "R5.amber_pain": ({"pain": 5}, "Pain during the latest session was 5/10: acceptable, but stay at the same level "
                                   "until it is lower.", "vertretbar", "aceptable"),
    "R6.worsening_trend": ({"recent": Fraction(7, 2), "earlier": Fraction(3, 2)},
                           "Morning pain averaged 3.5/10 over the last 7 days, up from 1.5/10 the week before: stay at "
                           "the same level.", "im Schnitt bei 3,5/10, nach 1,5/10", "promedió 3,5/10"),
    "R7.not_enough_green": ({"streak": 1, "needed": 2, "level": L5},
                            "1 of the 2 comfortable sessions in a row needed at level 5 of 9 so far (completed, low "
                            "pain, next-morning pain settled): stay at the same level.",
                            "Bisher 1 von 2 nötigen beschwerdearmen Einheiten", "sesiones cómodas seguidas"),
    "R8.ladder_complete": ({"level": level(8, 9)},
                           "The top of the ladder (level 9 of 9) is reached: time for the therapist to review the plan "
                           "or move to the next phase.", "Die oberste Stufe (Stufe 9 von 9)", "fisioterapeuta"),
    "R9.running_gate": (
        {"level": L5, "speed": Fraction(13, 2), "threshold": Fraction(29, 5),
         "unmet": [Message("gate.signoff"), Message("gate.quad_lsi", {"floor": 70, "value": Fraction(125, 2)})]},
        "The next level (level 5 of 9, 6.5 km/h) is running (from 5.8 km/h); not yet met: therapist sign-off for "
        "running; quadriceps LSI ≥ 70 % (now 62.5 %).",
        "ist Laufen (ab 5,8 km/h); noch nicht erfüllt: Freigabe des Therapeuten für das Laufen; Quadrizeps-LSI ≥ 70 % "
        "(jetzt 62,5 %)", "(nivel 5 de 9, 6,5 km/h) ya es carrera (desde 5,8 km/h)"),
    "R9.running_gate_too": (
        {"level": L5, "speed": 7, "threshold": Fraction(29, 5), "unmet": [Message("gate.signoff")]},
        "The next level (level 5 of 9, 7 km/h) is running too (from 5.8 km/h); not yet met: therapist sign-off for "
        "running.", "ebenfalls Laufen", "también es carrera"),
    "R10.needs_override": (
        {"level": L5, "step": STEP, "why": Message("override.changes", {"changed": 2})},
        "The next level (level 5 of 9: 6.5 km/h, 2.5 % incline, 10 min) needs the therapist's approval: it changes 2 "
        "things at once.", "6,5 km/h, 2,5 % Steigung, 10 min", "cambia 2 variables a la vez"),
    "R11.progress": ({"count": 2, "level": level(3, 9), "next_level": L5, "step": STEP},
                     "2 comfortable sessions in a row at level 4 of 9: ready to move up to level 5 of 9 (6.5 km/h, "
                     "2.5 % incline, 10 min).", "bereit für Stufe 5 von 9", "todo listo para subir al nivel 5 de 9"),
    "F1.low_adherence": ({"trained": 3, "window": 14, "planned": Fraction(36, 7), "percent": 58},
                         "Trained on 3 of the last 14 days; the plan asks for 5.14286 (58 %).",
                         "der Plan sieht 5,14286 vor (58 %)", "el plan prevé 5,14286 (58 %)"),
    "F1.low_adherence_none_planned": ({"trained": 0, "window": 14, "planned": 0},
                                      "Trained on 0 of the last 14 days; the plan asks for 0.", "trainiert",
                                      "Entrenó"),
    "F2.improved": ({"recent": Fraction(1, 2), "baseline": 4},
                    "Morning pain averaged 0.5/10 over the last 7 days, down from 4/10 at the start.",
                    "Morgenschmerz", "0,5/10"),
    "advice.stay_easiest": ({"level": level(0, 3)}, "stay at level 1 of 3, the easiest", "leichtesten", "más fácil"),
    "advice.step_down": ({"level": level(1, 3)}, "step down to level 2 of 3 next time", "zurückgehen", "bajar al"),
    "step.load": ({"speed": Fraction(7, 2), "incline": 5, "duration": Fraction(25, 2)},
                  "3.5 km/h, 5 % incline, 12.5 min", "3,5 km/h, 5 % Steigung, 12,5 min",
                  "3,5 km/h, 5 % de inclinación, 12,5 min"),
    "override.steep": ({"incline": Fraction(25, 2), "limit": 10}, "its incline of 12.5 % is above 10 %",
                       "ihre Steigung von 12,5 % liegt über 10 %", "su inclinación de 12,5 %"),
    "override.changes": ({"changed": 3}, "it changes 3 things at once", "Werte zugleich", "variables a la vez"),
    "override.steep_and_changes": ({"incline": Fraction(25, 2), "limit": 10, "changed": 2},
                                   "its incline of 12.5 % is above 10 % and it changes 2 things at once",
                                   "liegt über 10 % und sie ändert 2 Werte", "supera el 10 % y cambia 2 variables"),
    "gate.signoff": ({}, "therapist sign-off for running", "Freigabe des Therapeuten", "aprobación del fisioterapeuta"),
    "gate.weeks_since_surgery": ({"weeks": 12, "days": 71}, "at least 12 weeks since surgery (now 71 days)",
                                 "seit der Operation (jetzt 71 Tage)", "desde la cirugía (ahora 71 días)"),
    "gate.quad_lsi": ({"floor": 70, "value": Fraction(655, 10)}, "quadriceps LSI ≥ 70 % (now 65.5 %)",
                      "(jetzt 65,5 %)", "(ahora 65,5 %)"),
    "gate.quad_lsi_unknown": ({"floor": 70}, "quadriceps LSI ≥ 70 % (not measured)", "nicht gemessen", "sin medir"),
    "gate.hop_lsi": ({"floor": 70, "value": 60}, "hop LSI ≥ 70 % (now 60 %)", "Hop-LSI", "LSI de salto"),
    "gate.hop_lsi_unknown": ({"floor": 70}, "hop LSI ≥ 70 % (not measured)", "Hop-LSI", "LSI de salto"),
    "gate.rom": ({"floor": 95, "value": Fraction(905, 10)}, "range of motion ≥ 95 % (now 90.5 %)",
                 "Bewegungsumfang ≥ 95 % (jetzt 90,5 %)", "rango de movimiento ≥ 95 % (ahora 90,5 %)"),
    "gate.rom_unknown": ({"floor": 95}, "range of motion ≥ 95 % (not measured)", "Bewegungsumfang", "sin medir"),
    "gate.effusion": ({"grade": "1+"}, "effusion trace or less (now 1+)", "Erguss höchstens Spur (jetzt 1+)",
                      "derrame de trazas o menos (ahora 1+)"),
    "gate.effusion_unknown": ({}, "effusion trace or less (not measured)", "Erguss", "derrame"),
    "gate.pain": ({"limit": 2, "pain": 3}, "pain during below 2/10 (latest 3/10)", "(zuletzt 3/10)",
                  "(último: 3/10)"),
}


def test_every_engine_message_has_a_case_here():
    assert set(CASES) == set(MESSAGES)


@pytest.mark.parametrize("message_id", sorted(CASES))
def test_each_message_reads_as_the_json_always_had_it_in_english(message_id):
    params, english, _german, _spanish = CASES[message_id]
    message = Message(message_id, params)
    with translation.override("de"):  # the English of the JSON does not depend on the active language
        assert message.english() == english
    with translation.override("en"):
        assert message.render() == english
        assert render_dict(json.loads(json.dumps(message.as_dict()))) == english  # as stored in the database


@pytest.mark.parametrize("message_id", sorted(CASES))
def test_each_message_reads_in_german_and_spanish(message_id):
    params, english, german, spanish = CASES[message_id]
    stored = json.loads(json.dumps(Message(message_id, params).as_dict()))
    with translation.override("de"):
        assert german in render_dict(stored)
        assert render_dict(stored) != english
    with translation.override("es"):
        assert spanish in render_dict(stored)
        assert render_dict(stored) != english


def test_decimal_commas_in_german_and_spanish_only_where_people_read():
    message = Message("R6.worsening_trend", {"recent": Fraction(7, 2), "earlier": Fraction(3, 2)})
    for language in ("de", "es"):
        with translation.override(language):
            assert "3,5/10" in message.render() and "3.5" not in message.render()
            assert "3.5/10" in message.english()


def test_plural_forms_follow_the_count():
    with translation.override("en"):
        assert Message("gate.weeks_since_surgery", {"weeks": 12, "days": 1}).render() == (
            "at least 12 weeks since surgery (now 1 day)")
        assert Message("override.changes", {"changed": 1}).render() == "it changes 1 thing at once"
    with translation.override("de"):
        assert Message("gate.weeks_since_surgery", {"weeks": 12, "days": 1}).render().endswith("(jetzt 1 Tag)")
        assert Message("gate.weeks_since_surgery", {"weeks": 12, "days": 2}).render().endswith("(jetzt 2 Tage)")
    with translation.override("es"):
        assert Message("gate.weeks_since_surgery", {"weeks": 12, "days": 1}).render().endswith("(ahora 1 día)")
        assert Message("gate.weeks_since_surgery", {"weeks": 12, "days": 5}).render().endswith("(ahora 5 días)")


def test_an_unknown_id_is_refused_when_made():
    with pytest.raises(KeyError):
        Message("R99.nothing")


# --- The JSON for machines ------------------------------------------------------------------------------------


def _all_inputs() -> list[dict]:
    """Every engine input of the rule tests' case tables, so each rule and flag speaks at least once."""
    found = []

    def collect(value):
        if isinstance(value, dict) and "ladder" in value and "sessions" in value:
            found.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
        elif hasattr(value, "values") and not isinstance(value, dict):  # pytest.param
            collect(list(value.values))

    for module in (test_engine_rules, test_engine_gates_and_flags, test_engine_precedence_and_input):
        for name, value in vars(module).items():
            if name.isupper():
                collect(value)
    return found + [make(), running(), make(sessions=[])]


def test_the_json_is_the_same_whatever_language_is_active():
    checked = 0
    for data in _all_inputs():
        try:
            with translation.override("en"):
                english = evaluate(copy.deepcopy(data))
        except EngineInputError:
            continue  # inputs of the refusal tests
        for language in ("de", "es"):
            with translation.override(language):
                assert evaluate(copy.deepcopy(data)) == english
        assert set(english) == {"decision", "next_step", "rules", "reasons", "flags"}
        assert all(set(flag) == {"kind", "severity", "reason"} for flag in english["flags"])
        checked += 1
    assert checked > 30


def test_with_messages_the_json_gains_only_the_messages_and_they_word_the_same_english():
    data = spec.acl_running(surgery_days=70, gate={"quad_lsi_pct": 62.5})
    plain = evaluate(copy.deepcopy(data))
    with translation.override("de"):
        full = evaluate(copy.deepcopy(data), messages=True)
    assert set(full) == set(plain) | {"reason_messages"}
    assert {key: value for key, value in full.items() if key != "reason_messages"} == {
        **plain, "flags": [{**flag, "reason_message": full["flags"][i]["reason_message"]}
                           for i, flag in enumerate(plain["flags"])]}
    json.dumps(full)  # JSON-shaped throughout
    with translation.override("en"):
        assert [render_dict(m) for m in full["reason_messages"]] == plain["reasons"]
        assert [render_dict(f["reason_message"]) for f in full["flags"]] == [f["reason"] for f in plain["flags"]]


def test_deciding_freezes_no_language():
    """A decision made while German is active reads in Spanish when shown to a Spanish reader, English in the JSON."""
    data = parse_input(make(sessions=[session(2), session(1, pain=7)]))
    with translation.override("de"):
        decision = decide(data)
    assert decision.reasons[0].startswith("Pain during the latest session")
    with translation.override("es"):
        assert decision.messages[0].render().startswith("El dolor durante la última sesión")
        assert decision.flags[0].reason.startswith("Pain during the latest session")


def test_stored_reasons_without_messages_show_their_text():
    message = Message("R5.amber_pain", {"pain": 4}).as_dict()
    texts = ["Old English text.", "Pain during the latest session was 4/10: ...", "Typed by a person."]
    with translation.override("de"):
        shown = render_stored(texts, [None, message])
    assert shown[0] == "Old English text." and shown[2] == "Typed by a person."
    assert shown[1].startswith("Der Schmerz während der letzten Einheit lag bei 4/10")
    assert render_stored(["Kept."], [{"id": "R42.gone", "params": {}}]) == ["Kept."]
    assert render_stored(["Kept."], [{"id": "R5.amber_pain", "params": {}}]) == ["Kept."]  # parameters missing
    assert render_stored(["Kept."], []) == ["Kept."]


# --- The wording helpers follow the active language -------------------------------------------------------------


def test_wording_follows_the_active_language():
    day = dt.date(2026, 12, 3)
    with translation.override("en"):
        assert (format_number(Fraction(29, 5)), format_date(day), format_day(day), format_level(4, 9)) == (
            "5.8", "3 December 2026", "Thu 3 Dec", "level 5 of 9")
    with translation.override("de"):
        assert (format_number(Fraction(29, 5)), format_date(day), format_day(day), format_level(4, 9)) == (
            "5,8", "3. Dezember 2026", "Do, 3. Dez", "Stufe 5 von 9")
        assert format_number(70) == "70" and format_level(2) == "Stufe 3"
    with translation.override("es"):
        assert (format_number(Fraction(29, 5)), format_date(day), format_day(day), format_level(4, 9)) == (
            "5,8", "3 de diciembre de 2026", "jue 3 dic", "nivel 5 de 9")


def test_spec_examples_still_word_their_reasons_in_english_under_german():
    """The documented examples' reasons (engine_support) are the JSON's English even while German is active."""
    with translation.override("de"):
        decision = evaluate(make())
    assert decision["reasons"][0] == ("2 comfortable sessions in a row at level 2 of 5: ready to move up to level 3 "
                                      "of 5 (2.5 km/h, 0 % incline, 20 min).")


def test_a_load_in_words_takes_the_decimal_comma_in_german_and_spanish():
    with translation.override("en"):
        assert describe_load(Decimal("2.50"), Decimal("5.0"), 20) == "2.5 km/h · 5 % · 20 min"
    for language in ("de", "es"):
        with translation.override(language):
            assert describe_load(Decimal("2.50"), Decimal("12.5"), 20) == "2,5 km/h · 12,5 % · 20 min"


@pytest.mark.django_db
def test_the_simulate_api_answers_in_english_with_a_point_whatever_the_callers_language(client, world):
    data = make(ladder=[{"speed_kmh": 2.5, "incline_pct": 0, "duration_min": 10},
                        {"speed_kmh": 3.5, "incline_pct": 0, "duration_min": 10}], current_step=0,
                sessions=[session(2, step=0), session(1, step=0)])
    client.force_login(world.therapist_a)
    english = client.post("/api/v1/progression/simulate/", data, content_type="application/json").json()
    german = client.post("/api/v1/progression/simulate/", data, content_type="application/json",
                         HTTP_ACCEPT_LANGUAGE="de").json()
    assert german == english == evaluate(copy.deepcopy(data))
    assert "(3.5 km/h, 0 % incline, 10 min)" in german["reasons"][0]
