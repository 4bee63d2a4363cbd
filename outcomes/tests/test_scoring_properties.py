"""Properties of scoring that hold for every instrument (hypothesis)."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes import instruments
from outcomes.scoring import no_problem_answer, score

INSTRUMENTS = instruments.all_instruments()


@st.composite
def answered_forms(draw):
    """An instrument and answers to a random subset of its items (random allowed values, some None)."""
    instrument = draw(st.sampled_from(INSTRUMENTS))
    answers = {}
    for item in instrument.items:
        if draw(st.booleans()) or draw(st.booleans()):
            answers[item.id] = draw(st.sampled_from(item.values + (None,)))
    return instrument, answers


def _better_or_equal(scale, before, after) -> bool:
    return after >= before if scale.higher_is_better else after <= before


@settings(max_examples=300, deadline=None)
@given(answered_forms())
def test_every_score_is_within_its_scale_range(form):
    instrument, answers = form
    for scale_score in score(instrument, answers).scales:
        scale = instrument.scale(scale_score.scale_id)
        if scale_score.value is None:
            assert scale_score.reason
        else:
            assert scale.minimum <= scale_score.value <= scale.maximum
            assert scale_score.reason is None


@settings(max_examples=300, deadline=None)
@given(answered_forms(), st.data())
def test_answering_one_more_item_no_problem_never_makes_a_score_worse(form, data):
    instrument, answers = form
    item = data.draw(st.sampled_from(instrument.items))
    before = score(instrument, answers)
    after = score(instrument, {**answers, item.id: no_problem_answer(instrument, item.id)})
    for old, new in zip(before.scales, after.scales, strict=True):
        if old.value is not None:
            assert new.value is not None
            assert _better_or_equal(instrument.scale(old.scale_id), old.value, new.value), (item.id, old, new)


@settings(max_examples=200, deadline=None)
@given(answered_forms(), st.randoms(use_true_random=False))
def test_the_order_of_the_answers_does_not_matter(form, rng: random.Random):
    instrument, answers = form
    shuffled = list(answers.items())
    rng.shuffle(shuffled)
    assert score(instrument, dict(shuffled)) == score(instrument, answers)


def test_every_instrument_scores_a_form_answered_all_no_problem_at_its_best():
    for instrument in INSTRUMENTS:
        best = score(instrument, {item.id: no_problem_answer(instrument, item.id) for item in instrument.items})
        for scale_score in best.scales:
            scale = instrument.scale(scale_score.scale_id)
            assert scale_score.value == (scale.maximum if scale.higher_is_better else scale.minimum), instrument.id
