"""Backstep's built-in library, as plain data: exercise templates and protocol templates.

`protocols.services.library_install` (run by `manage.py load_library`) writes
these as rows with no clinic. Edit the library here and re-run the command;
clinics' own templates and protocols are never touched.

Every text people read is marked with gettext_noop: it is stored in English
exactly as written here, and shown in the reader's language wherever it is
still unedited (`clinic.builtin_text`; registered by `library_texts`). Edit a
text and its translations in locale/ need the new wording too.

Ladders are not written out step by step: each ladder exercise names a stretch
of the ladder that its template's defaults generate (`protocols.ladder`), so
the library cannot drift from the generation rules in progression-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_noop

from protocols.engine.rules import (
    ACL_GATE_DAYS,
    ACL_GATE_HOP_LSI,
    ACL_GATE_MAX_EFFUSION,
    ACL_GATE_QUAD_LSI,
    ACL_GATE_ROM,
)
from protocols.ladder import Load
from protocols.models import Condition, ExerciseKind

D = Decimal


@dataclass(frozen=True)
class TemplateDef:
    """One built-in exercise template. Treadmill fields stay None for non-treadmill exercises."""

    slug: str
    name: str
    kind: str
    instructions: str
    safety_notes: str
    default_speed_kmh: Decimal | None = None
    default_incline_pct: Decimal | None = None
    default_duration_min: int | None = None
    speed_step_kmh: Decimal | None = None
    incline_step_pct: Decimal | None = None
    duration_step_min: int | None = None
    max_speed_kmh: Decimal | None = None
    max_incline_pct: Decimal | None = None
    max_duration_min: int | None = None
    handrail: str = ""
    default_sets: int | None = None
    default_reps: int | None = None
    default_hold_seconds: int | None = None


@dataclass(frozen=True)
class LadderPart:
    """A stretch of the ladder generated from the template's defaults, both ends included.

    `first`/`last` are loads that must appear in the generated ladder; None
    means its first/last step. Naming loads rather than indexes keeps the
    definitions readable and fails loudly if the generation rules change.
    """

    first: Load | None = None
    last: Load | None = None


@dataclass(frozen=True)
class ExerciseDef:
    template: str  # TemplateDef.slug
    frequency_per_week: int
    sets: int | None = None
    reps: int | None = None
    hold_seconds: int | None = None
    duration_min: int | None = None
    notes: str = ""
    ladder: LadderPart | None = None


@dataclass(frozen=True)
class PhaseDef:
    name: str
    expected_weeks: int
    goals: str
    entry_criteria: str
    exercises: tuple[ExerciseDef, ...] = field(default_factory=tuple)
    # The entry criteria the phase-change page checks (protocols.models.PhaseEntryCriteria); None: not one.
    min_weeks_since_surgery: int | None = None
    min_quad_lsi_pct: Decimal | None = None
    min_hop_lsi_pct: Decimal | None = None
    min_rom_pct: Decimal | None = None
    max_effusion: str = ""
    requires_running_signoff: bool = False


@dataclass(frozen=True)
class ProtocolDef:
    slug: str
    name: str
    condition: str
    description: str
    sessions_per_week: int
    phases: tuple[PhaseDef, ...]


# ---------------------------------------------------------------------------
# Exercise templates
# ---------------------------------------------------------------------------

_TREADMILL_SAFETY = gettext_noop(
    "Check the space behind the treadmill is clear before you start. "
    "Clip the safety key to your clothing every time. "
    "Stand on the side rails, start the belt at 0 km/h and let it reach your speed before you step on, "
    "or stand on the still belt holding the rails and raise the speed slowly from 0. "
    "Keep the handrails within reach. "
    "Set a gentle incline first and change only one thing (speed, incline or time) from one session to the next. "
    "Stop if you feel sharp pain or your knee gives way."
)

TEMPLATES: tuple[TemplateDef, ...] = (
    TemplateDef(
        slug="retro-treadmill-walk",
        name=gettext_noop("Retro treadmill walk"),
        kind=ExerciseKind.RETRO_TREADMILL_WALK,
        instructions=gettext_noop(
            "Stand on the treadmill facing away from the screen, so the belt carries you forwards while you walk "
            "backwards. Reach back with your toes, then roll onto your whole foot and straighten your knee as you "
            "push away. Keep your chest up and take short, even steps at the speed, incline and time on your plan."
        ),
        safety_notes=_TREADMILL_SAFETY,
        default_speed_kmh=D("2.5"),
        default_incline_pct=D("0"),
        default_duration_min=10,
        speed_step_kmh=D("0.5"),
        incline_step_pct=D("2.5"),
        duration_step_min=5,
        max_speed_kmh=D("5.5"),
        max_incline_pct=D("10"),
        max_duration_min=30,
        handrail="light",
    ),
    TemplateDef(
        slug="retro-treadmill-run",
        name=gettext_noop("Retro treadmill run"),
        kind=ExerciseKind.RETRO_TREADMILL_RUN,
        instructions=gettext_noop(
            "Face away from the screen and begin with a brisk backward walk at the first speed on your plan. "
            "When your plan moves you past about 5.8 km/h, let your walk turn into a light backward jog, landing "
            "on the balls of your feet. Keep your steps quick and short and your trunk tall."
        ),
        # The walk's safety notes and one sentence more, written out whole so it is one text to translate.
        safety_notes=gettext_noop(
            "Check the space behind the treadmill is clear before you start. "
            "Clip the safety key to your clothing every time. "
            "Stand on the side rails, start the belt at 0 km/h and let it reach your speed before you step on, "
            "or stand on the still belt holding the rails and raise the speed slowly from 0. "
            "Keep the handrails within reach. "
            "Set a gentle incline first and change only one thing (speed, incline or time) from one session to the "
            "next. "
            "Stop if you feel sharp pain or your knee gives way. "
            "Never speed up and steepen the belt in the same session, and slow down to a walk before you stop."
        ),
        default_speed_kmh=D("5.5"),
        default_incline_pct=D("2.5"),
        default_duration_min=15,
        speed_step_kmh=D("0.5"),
        incline_step_pct=D("2.5"),
        duration_step_min=5,
        max_speed_kmh=D("8.0"),
        max_incline_pct=D("5"),
        max_duration_min=25,
        handrail="none",
    ),
    TemplateDef(
        slug="retro-step-up",
        name=gettext_noop("Retro step-up (backwards onto a step)"),
        kind=ExerciseKind.RETRO_STAIRS,
        instructions=gettext_noop(
            "Stand with your back to a low step. Reach back with your affected leg, place the whole foot on the "
            "step and push through it to lift yourself up, then lower yourself down slowly. Keep your knee in line "
            "with your second toe the whole time."
        ),
        safety_notes=gettext_noop(
            "Use a stable step no higher than your plan says, next to a wall or rail you can hold. "
            "Look back once before you start so you know where the step is. "
            "Stop if you feel sharp pain or your knee gives way."
        ),
        default_sets=3,
        default_reps=10,
    ),
    TemplateDef(
        slug="backward-sled-drag",
        name=gettext_noop("Backward sled drag"),
        kind=ExerciseKind.SLED_DRAG,
        instructions=gettext_noop(
            "Hold the sled straps with straight arms and walk backwards in small steps, pulling the sled towards "
            "you. Stay low with your knees bent and push the floor away through the front of each foot. "
            "Each length is about 15 metres; rest for a minute between lengths."
        ),
        safety_notes=gettext_noop(
            "Make sure the lane behind you is clear of people and kit for the whole length. "
            "Start with a light load and add weight only when your plan says so. "
            "Stop if you feel sharp pain or your knee gives way."
        ),
        default_sets=4,
        default_reps=2,
    ),
    TemplateDef(
        slug="retro-flat-walk",
        name=gettext_noop("Retro walk on flat ground"),
        kind=ExerciseKind.RETRO_FLAT_WALK,
        instructions=gettext_noop(
            "Find a long, level hallway or path and walk backwards at a comfortable pace. Reach back with your "
            "toes and roll onto your heel, straightening your knee as you go. Glance over your shoulder every "
            "few steps."
        ),
        safety_notes=gettext_noop(
            "Walk only where the path behind you is clear, flat and free of steps or kerbs. "
            "Keep a wall or rail within reach, or have someone walk with you. "
            "Stop if you feel sharp pain or your knee gives way."
        ),
        default_duration_min=10,
    ),
    TemplateDef(
        slug="quad-sets",
        name=gettext_noop("Quad sets"),
        kind=ExerciseKind.STRENGTH,
        instructions=gettext_noop(
            "Sit or lie with your leg straight and a small rolled towel under your knee. Tighten the muscle on "
            "the front of your thigh to press the back of your knee into the towel, and hold. Relax fully "
            "before the next one."
        ),
        safety_notes=gettext_noop("This should feel like hard work for the thigh, not pain in the knee. "
                      "Stop if you feel sharp pain."),
        default_sets=3,
        default_reps=10,
        default_hold_seconds=5,
    ),
    TemplateDef(
        slug="wall-sit",
        name=gettext_noop("Wall sit"),
        kind=ExerciseKind.STRENGTH,
        instructions=gettext_noop(
            "Lean your back against a wall with your feet about a foot in front of you. Slide down only as far "
            "as your plan says, keeping your knees over your feet, and hold the position. Slide back up slowly."
        ),
        safety_notes=gettext_noop(
            "Do not go deeper than your plan says. "
            "Stop if you feel sharp pain at the front of the knee or your knee gives way."
        ),
        default_sets=3,
        default_hold_seconds=30,
    ),
    TemplateDef(
        slug="lateral-step-down",
        name=gettext_noop("Lateral step-down"),
        kind=ExerciseKind.STRENGTH,
        instructions=gettext_noop(
            "Stand sideways on a low step on your affected leg. Slowly bend that knee to lower your other heel "
            "towards the floor, touch lightly, and straighten back up. Keep your hips level and your knee "
            "pointing over your toes."
        ),
        safety_notes=gettext_noop(
            "Use a low, stable step beside a wall or rail you can hold. "
            "Stop if you feel sharp pain or your knee gives way."
        ),
        default_sets=3,
        default_reps=10,
    ),
    TemplateDef(
        slug="side-lying-hip-abduction",
        name=gettext_noop("Side-lying hip abduction"),
        kind=ExerciseKind.STRENGTH,
        instructions=gettext_noop(
            "Lie on your side with your affected leg on top and your lower knee bent for balance. Lift the top "
            "leg towards the ceiling with your toes pointing forwards, pause, and lower it slowly. You should "
            "feel it on the outside of your hip."
        ),
        safety_notes=gettext_noop("Keep the movement slow and do not roll backwards. Stop if you feel sharp pain."),
        default_sets=3,
        default_reps=12,
    ),
    TemplateDef(
        slug="single-leg-balance",
        name=gettext_noop("Single-leg balance"),
        kind=ExerciseKind.BALANCE,
        instructions=gettext_noop(
            "Stand on your affected leg with a soft bend in the knee and hold steady. When that feels easy, "
            "try it with your eyes closed or standing on a folded towel."
        ),
        safety_notes=gettext_noop(
            "Stand next to a wall, counter or chair you can grab. "
            "Stop if you feel sharp pain or your knee gives way."
        ),
        default_sets=3,
        default_hold_seconds=30,
    ),
)


# ---------------------------------------------------------------------------
# Protocol templates
# ---------------------------------------------------------------------------

# Where the default walking ladder is split between the first two phases:
# the end of the incline climb, before speed starts to rise.
WALK_SPLIT = Load(D("2.5"), D("10"), 20)

_EARLY_WALK = ExerciseDef(
    template="retro-treadmill-walk",
    frequency_per_week=3,
    notes=gettext_noop("Warm up with 3 minutes of easy forward walking first."),
    ladder=LadderPart(last=WALK_SPLIT),
)
_LATE_WALK = ExerciseDef(
    template="retro-treadmill-walk",
    frequency_per_week=3,
    # xgettext:no-python-format
    notes=gettext_noop("Warm up with 3 minutes of easy backward walking at 0 % incline first."),
    ladder=LadderPart(first=WALK_SPLIT),
)
_QUAD_SETS = ExerciseDef(template="quad-sets", frequency_per_week=5, sets=3, reps=10, hold_seconds=5)

PFP_SIX_WEEKS = ProtocolDef(
    slug="pfp-retro-incline-6-weeks",
    name=gettext_noop("Patellofemoral pain — retro-incline walking, 6 weeks"),
    condition=Condition.PFP,
    description=gettext_noop(
        "Backward uphill treadmill walking loads the quadriceps with less pressure behind the kneecap than "
        "forward walking. Two phases: first build time and incline at a slow speed, then speed and time. "
        "The ladder moves up only while pain during exercise stays at 3/10 or less and settles by the next "
        "morning."
    ),
    sessions_per_week=3,
    phases=(
        PhaseDef(
            name=gettext_noop("Settle and start"),
            expected_weeks=3,
            goals=gettext_noop(
                # xgettext:no-python-format
                "Get used to walking backwards on the treadmill and build to 20 minutes at 10 % incline at "
                "2.5 km/h, with pain during at most 3/10 and no extra pain the next morning. "
                "Wake up the quadriceps with quad sets and wall sits."
            ),
            entry_criteria=gettext_noop(
                "Morning knee pain 5/10 or less; able to walk forwards for 10 minutes without limping; "
                "able to step on and off a treadmill safely."
            ),
            exercises=(
                _EARLY_WALK,
                _QUAD_SETS,
                ExerciseDef(template="wall-sit", frequency_per_week=3, sets=3, hold_seconds=30,
                            notes=gettext_noop("Slide down only to a quarter squat (about 45° of knee bend).")),
            ),
        ),
        PhaseDef(
            name=gettext_noop("Build speed and time"),
            expected_weeks=3,
            goals=gettext_noop(
                # xgettext:no-python-format
                "Raise the speed to 5.5 km/h and then the time to 30 minutes at 10 % incline, one change at a "
                "time. Add hip and single-leg control work."
            ),
            entry_criteria=gettext_noop(
                "Completed 2.5 km/h · 10 % · 20 min with pain during at most 3/10 and no rise in morning pain "
                "for two sessions in a row."
            ),
            exercises=(
                _LATE_WALK,
                ExerciseDef(template="lateral-step-down", frequency_per_week=3, sets=3, reps=10,
                            notes=gettext_noop("Start with a 10 cm step.")),
                ExerciseDef(template="side-lying-hip-abduction", frequency_per_week=3, sets=3, reps=12),
            ),
        ),
    ),
)

ACL_PHASES_1_3 = ProtocolDef(
    slug="acl-retro-incline-phases-1-3",
    name=gettext_noop("After ACL reconstruction — retro-incline progression, phases 1–3"),
    condition=Condition.ACL,
    description=gettext_noop(
        "Retro-incline walking to rebuild quadriceps strength after ACL reconstruction, then a gated return to "
        "backward running. Watch the knee for swelling after each step up; running steps wait for the "
        "return-to-running criteria."
    ),
    sessions_per_week=3,
    phases=(
        PhaseDef(
            name=gettext_noop("Early retro walking"),
            expected_weeks=4,
            goals=gettext_noop(
                # xgettext:no-python-format
                "Walk backwards at 2.5 km/h for 20 minutes at 10 % incline without extra swelling. "
                "Restore quadriceps activation and balance on the operated leg."
            ),
            entry_criteria=gettext_noop(
                "Walking without crutches and without a limp; full knee extension; effusion 1+ or less on the "
                "stroke test; surgeon's go-ahead for treadmill walking."
            ),
            max_effusion="1+",
            exercises=(
                _EARLY_WALK,
                _QUAD_SETS,
                ExerciseDef(template="single-leg-balance", frequency_per_week=5, sets=3, hold_seconds=30),
            ),
        ),
        PhaseDef(
            name=gettext_noop("Build walking load"),
            expected_weeks=6,
            goals=gettext_noop(
                # xgettext:no-python-format
                "Raise the speed to 5.5 km/h and then the time to 30 minutes at 10 % incline, one change at a "
                "time, with effusion staying at trace or less. Build single-leg strength."
            ),
            entry_criteria=gettext_noop(
                "Completed 2.5 km/h · 10 % · 20 min; effusion trace or less on the stroke test; "
                "no rise in morning pain for a week."
            ),
            max_effusion="trace",
            exercises=(
                _LATE_WALK,
                ExerciseDef(template="lateral-step-down", frequency_per_week=3, sets=3, reps=10,
                            notes=gettext_noop("Start with a 10 cm step and raise it to 20 cm as control improves.")),
                ExerciseDef(template="retro-step-up", frequency_per_week=2, sets=3, reps=10),
            ),
        ),
        PhaseDef(
            name=gettext_noop("Return to retro running"),
            expected_weeks=6,
            goals=gettext_noop(
                "Move from brisk backward walking into backward running on a gentle incline, then build "
                "running speed and time. Add backward sled drags for quadriceps power."
            ),
            entry_criteria=gettext_noop(
                # xgettext:no-python-format
                "Start this phase when the walking ladder is finished. Before the first running step "
                "(5.8 km/h or faster), all of: at least 12 weeks since surgery; quadriceps and hop limb "
                "symmetry index 70 % or more; range of motion 95 % or more of the other side; effusion trace "
                "or less on the stroke test; the therapist's sign-off for running "
                "(criteria after Rambaud et al. 2018)."
            ),
            # The running gate's criteria (progression-rules.md R9), checked when the phase starts too.
            min_weeks_since_surgery=ACL_GATE_DAYS // 7,
            min_quad_lsi_pct=D(ACL_GATE_QUAD_LSI),
            min_hop_lsi_pct=D(ACL_GATE_HOP_LSI),
            min_rom_pct=D(ACL_GATE_ROM),
            max_effusion=ACL_GATE_MAX_EFFUSION,
            requires_running_signoff=True,
            exercises=(
                ExerciseDef(template="retro-treadmill-run", frequency_per_week=3, ladder=LadderPart(),
                            # xgettext:no-python-format
                            notes=gettext_noop("Warm up with 5 minutes of backward walking at 0 % incline first.")),
                ExerciseDef(template="backward-sled-drag", frequency_per_week=2, sets=4, reps=2,
                            notes=gettext_noop("Each rep is one length of about 15 metres.")),
            ),
        ),
    ),
)

PROTOCOLS: tuple[ProtocolDef, ...] = (PFP_SIX_WEEKS, ACL_PHASES_1_3)


def library_texts() -> set[str]:
    """Every text of the library people read, as stored: what `clinic.builtin_text` shows translated."""
    texts = set()
    for template in TEMPLATES:
        texts.update((template.name, template.instructions, template.safety_notes))
    for protocol in PROTOCOLS:
        texts.update((protocol.name, protocol.description))
        for phase in protocol.phases:
            texts.update((phase.name, phase.goals, phase.entry_criteria))
            texts.update(exercise.notes for exercise in phase.exercises)
    texts.discard("")
    return texts
