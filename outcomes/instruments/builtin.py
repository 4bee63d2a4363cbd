"""The built-in instruments, with wording Backstep wrote: SANE, GROC, PSFS and the weekly knee pain.

Every text a person reads is marked with gettext_noop: it stays English in the
instrument (scores, exports and FHIR Questionnaires are stable) and is shown
in the reader's language by `clinic.builtin_text` (registered by `builtin_texts`).

Thresholds here are outcomes.md's *unverified* defaults (`threshold_verified=False`):
a clinic may change them; they are never hard rules.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_noop

from outcomes.instruments.base import CHANGE_RATING, MEAN, VALUE, Instrument, Item, Option, Scale

ZERO = Decimal(0)
PAIN_LOINC = "72514-3"  # pain severity 0-10 numeric rating

SANE = Instrument(
    id="sane", version="1", title=gettext_noop("SANE (Single Assessment Numeric Evaluation)"), licensed=False,
    items=(Item(id="SANE", text=gettext_noop("Today, how would you rate your knee as a percentage of normal?"),
                minimum=0, maximum=100, minimum_label=gettext_noop("0 % — not normal at all"),
                maximum_label=gettext_noop("100 % — completely normal")),),
    # xgettext:no-python-format
    scales=(Scale(id="sane", title=gettext_noop("Knee, % of normal"), item_ids=("SANE",), method=VALUE,
                  min_answered=1,
                  minimum=ZERO, maximum=Decimal(100), important_change=Decimal(10)),),
    primary_scale_id="sane", for_whom=gettext_noop("any knee problem"),
    source="outcomes.md (change: unverified default)",
)

_GROC_LABELS = {
    -7: gettext_noop("A very great deal worse"), -6: gettext_noop("A great deal worse"),
    -5: gettext_noop("Much worse"), -4: gettext_noop("Moderately worse"), -3: gettext_noop("Somewhat worse"),
    -2: gettext_noop("A little worse"), -1: gettext_noop("Hardly any worse"), 0: gettext_noop("About the same"),
    1: gettext_noop("Hardly any better"), 2: gettext_noop("A little better"), 3: gettext_noop("Somewhat better"),
    4: gettext_noop("Moderately better"), 5: gettext_noop("Much better"), 6: gettext_noop("A great deal better"),
    7: gettext_noop("A very great deal better"),
}
# GROC is itself a change rating: the latest answer alone is judged, >= +3 better, <= -3 worse
# (unverified defaults).
GROC = Instrument(
    id="groc", version="1", title=gettext_noop("GROC (Global Rating of Change)"), licensed=False,
    items=(Item(id="GROC", text=gettext_noop("Since you started treatment, how has your knee changed overall?"),
                options=tuple(Option(value, label) for value, label in sorted(_GROC_LABELS.items()))),),
    scales=(Scale(id="groc", title=gettext_noop("Change since starting"), item_ids=("GROC",), method=VALUE,
                  min_answered=1,
                  minimum=Decimal(-7), maximum=Decimal(7), change_kind=CHANGE_RATING,
                  improved_at=Decimal(3), worse_at=Decimal(-3)),),
    primary_scale_id="groc", for_whom=gettext_noop("any knee problem"),
    source="outcomes.md (cut-offs: unverified defaults)",
)

# PSFS: the patient names 1-5 activities they find hard; items A1..A5 are those activities in the order
# named, each 0 (unable) .. 10 (as before the problem). The activity names are not answers: the caller
# (the response) carries them and re-asks the same activities; an activity not named is left out of the
# answers (or None). Score: mean of the answered activities, needing at least one.
PSFS_ACTIVITY_IDS = ("A1", "A2", "A3", "A4", "A5")
PSFS = Instrument(
    id="psfs", version="1", title=gettext_noop("PSFS (Patient-Specific Functional Scale)"), licensed=False,
    items=tuple(Item(id=item_id, text=gettext_noop("How well can you do this activity today?"), minimum=0,
                     maximum=10, minimum_label=gettext_noop("0 — unable to do it"),
                     maximum_label=gettext_noop("10 — as well as before the problem"))
                for item_id in PSFS_ACTIVITY_IDS),
    scales=(Scale(id="psfs", title=gettext_noop("Mean of your activities"), item_ids=PSFS_ACTIVITY_IDS,
                  method=MEAN,
                  min_answered=1, minimum=ZERO, maximum=Decimal(10), important_change=Decimal(2)),),
    primary_scale_id="psfs", for_whom=gettext_noop("any problem, the patient's own activities"),
    source="outcomes.md (change: unverified default)",
)

# Weekly knee pain, NPRS 0-10: worst and average over the last week; lower is better.
# Important change 2 points: not in outcomes.md, a default (unverified) the clinic may change.
KNEE_PAIN_WEEKLY = Instrument(
    id="knee-pain-weekly", version="1", title=gettext_noop("Knee pain this week (0-10)"), licensed=False,
    items=(
        Item(id="worst", text=gettext_noop("In the last 7 days, how bad was your knee pain at its worst?"),
             code=PAIN_LOINC, minimum=0, maximum=10, minimum_label=gettext_noop("0 — no pain"),
             maximum_label=gettext_noop("10 — worst pain imaginable")),
        Item(id="average", text=gettext_noop("In the last 7 days, how bad was your knee pain on average?"),
             code=PAIN_LOINC, minimum=0, maximum=10, minimum_label=gettext_noop("0 — no pain"),
             maximum_label=gettext_noop("10 — worst pain imaginable")),
    ),
    scales=(
        Scale(id="worst", title=gettext_noop("Worst pain"), item_ids=("worst",), method=VALUE, min_answered=1,
              minimum=ZERO,
              maximum=Decimal(10), higher_is_better=False, important_change=Decimal(2), code=PAIN_LOINC),
        Scale(id="average", title=gettext_noop("Average pain"), item_ids=("average",), method=VALUE, min_answered=1,
              minimum=ZERO, maximum=Decimal(10), higher_is_better=False, important_change=Decimal(2),
              code=PAIN_LOINC),
    ),
    primary_scale_id="average", for_whom=gettext_noop("any knee problem"), source="outcomes.md (NPRS 0-10)",
)


def builtin_texts() -> set[str]:
    """Every text of the built-in instruments people read, as written here (for `clinic.builtin_text`)."""
    texts = set()
    for instrument in (SANE, GROC, PSFS, KNEE_PAIN_WEEKLY):
        texts.update((instrument.title, instrument.for_whom))
        texts.update(scale.title for scale in instrument.scales)
        for item in instrument.items:
            texts.update((item.text, item.minimum_label, item.maximum_label))
            texts.update(option.label for option in item.options)
    texts.discard(None)
    texts.discard("")
    return texts
