"""Backstep's own patient education: what retro walking does, the safety checklist before the first session,
and what to do after a painful session. Pure: clinics keep their own wording as `EducationText` rows, and
this module's text is what a clinic that has not written its own shows, in the reader's language (marked with
gettext_noop, shown through `clinic.builtin_text`, registered by `education_texts_source`).

Each topic says when the phone shows it (`moment`): the checklist before the
first treadmill session, the pain advice while the latest session was red,
and the explanation whenever the plan has a retro exercise.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    body: str
    moment: str  # when patients see it, in words for the clinic admin


TOPICS: tuple[Topic, ...] = (
    Topic(
        slug="first-session",
        title=gettext_noop("Before your first session: safety checklist"),
        body=gettext_noop(
            "Clear path: nothing and nobody behind the treadmill, and room to step off.\n"
            "Rail within reach: stand where you can hold the side rails at any moment.\n"
            "Safety clip: clip the safety key to your clothing before the belt moves.\n"
            "Start at 0 km/h: stand on the side rails or the still belt, then raise the speed slowly.\n"
            "Start with a gentle incline and change only one thing (speed, incline or time) at a time.\n"
            "Stop if you feel sharp pain or your knee gives way."
        ),
        moment=gettext_noop("Before the first session of a treadmill exercise (today's page and the session form)."),
    ),
    Topic(
        slug="retro-walking",
        title=gettext_noop("Why walk backwards uphill?"),
        body=gettext_noop(
            "Walking backwards uphill works the muscle at the front of your thigh (the quadriceps) hard while "
            "putting less pressure behind the kneecap than walking forwards. That is why it is used when the "
            "front of the knee hurts and after knee surgery.\n"
            "It also trains balance and gets your heart working: expect to feel it in your thighs and your "
            "breathing.\n"
            "Your plan raises one thing at a time (speed, incline or time), and only while your knee is calm "
            "during and the morning after each session."
        ),
        moment=gettext_noop("Whenever the plan has a retro exercise (today's page, folded)."),
    ),
    Topic(
        slug="after-pain",
        title=gettext_noop("After a painful session"),
        body=gettext_noop(
            "Rest the knee today: no more exercise sessions, and avoid stairs and long walks where you can.\n"
            "A cold pack wrapped in a towel for 15 minutes can ease the ache.\n"
            "Tomorrow morning, answer the morning check-in: it tells your therapist how the knee settled.\n"
            "Next session, go back to the level your plan shows; do not push through sharp pain.\n"
            "Contact your clinic if the knee swells, gives way, or the pain stays or gets worse."
        ),
        moment=gettext_noop("While the patient's latest session passed the clinic's red pain limit (today's page "
                            "and the session form)."),
    ),
)
BY_SLUG = {topic.slug: topic for topic in TOPICS}


def education_texts_source() -> set[str]:
    """Backstep's education texts as written here: shown translated while a clinic has not changed them."""
    return {text for topic in TOPICS for text in (topic.title, topic.body, topic.moment)}
