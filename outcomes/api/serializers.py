"""The score API's input and output: an instrument id and answers by item id in, every scale's score out."""

from __future__ import annotations

from rest_framework import serializers

from outcomes import instruments
from outcomes.scoring import InvalidAnswers, score

MAX_ANSWERS = 100  # the largest instrument (KOOS) has 42 items


class AnswerValueField(serializers.IntegerField):
    """An answer is a JSON whole number: "2", 2.0 and true are refused, never coerced."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ScoreRequestSerializer(serializers.Serializer):
    instrument = serializers.ChoiceField(choices=[(i.id, i.title) for i in instruments.all_instruments()],
                                         help_text="The instrument's id, e.g. koos, akps, sane.")
    answers = serializers.DictField(
        child=AnswerValueField(allow_null=True),
        help_text='Answers by item id (the FHIR linkId), e.g. {"P1": 2, "P2": null}; null or absent = unanswered.')

    def validate_answers(self, answers):
        if len(answers) > MAX_ANSWERS:
            raise serializers.ValidationError(f"At most {MAX_ANSWERS} answers.")
        return answers

    def validate(self, attrs):
        instrument = instruments.get(attrs["instrument"])
        try:
            attrs["score_set"] = score(instrument, attrs["answers"])
        except InvalidAnswers as error:
            raise serializers.ValidationError({"answers": {str(error.item_id): [error.message]}}) from None
        return attrs


class ScaleScoreSerializer(serializers.Serializer):
    scale = serializers.CharField()
    title = serializers.CharField()
    value = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True,
                                     help_text="The score (one decimal, as a string), or null when not scorable.")
    reason = serializers.CharField(allow_null=True, help_text="Why the scale cannot be scored; null when scored.")
    answered = serializers.IntegerField(help_text="Items of this scale answered.")
    required = serializers.IntegerField(help_text="Items (or scales, for a summary) needed to score it.")


class ScoreSetSerializer(serializers.Serializer):
    instrument = serializers.CharField()
    version = serializers.CharField(help_text="The instrument version the rules come from.")
    primary = serializers.CharField(help_text="The headline scale's id.")
    scales = ScaleScoreSerializer(many=True)
