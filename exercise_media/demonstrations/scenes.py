"""One drawing per built-in exercise: the equipment, and the figure's key poses over one repetition.

Each scene returns a `Scene`: the static drawing (equipment, ground), the
figure, the extra CSS that moves the equipment (a treadmill belt), how long
one loop lasts, and the words that describe it for people who cannot see it, in the reader's language
(gettext at render time; the only Django this package uses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import get_format
from django.utils.translation import gettext

from exercise_media.demonstrations.figure import Motion, Pose, fmt

INK, FAINT, KIT, BELT, ACCENT, FLOOR = "#12343b", "#7d9aa0", "#9aa5a8", "#3d4a4d", "#c2410c", "#c9d1d3"


@dataclass(frozen=True)
class Scene:
    title: str
    description: str
    kit: str  # SVG drawn behind the figure
    motion: Motion
    duration: float
    kit_css: str = ""
    front: str = ""  # SVG drawn in front of the figure


def _number(value: Decimal) -> str:
    """An incline for the words, with the reader's decimal separator (2.5 in English, 2,5 in German)."""
    return fmt(float(value)).replace(".", get_format("DECIMAL_SEPARATOR"))


def _gait(phase: float, back: float, front: float, ground, lift: float, stance: float = 0.6):
    """A foot's place in a backward gait at `phase` (0..1): it lands at `back`, the belt or ground carries it to
    `front`, and it swings back through the air."""
    if phase < stance:
        x = back + (front - back) * phase / stance
        return (x, ground(x) - 4), (18.0 if phase < 0.08 else 0.0)
    swing = (phase - stance) / (1 - stance)
    x = front - (front - back) * swing
    return (x, ground(x) - 4 - lift * math.sin(math.pi * swing)), 25.0 * swing


def _walk_poses(ground, hip_x: float, hip_up: float, back: float, front: float, lift: float, *, hands, lean: float,
                bob: float, frames: int = 8, toe_scale: float = 1.0) -> list[tuple[float, Pose]]:
    poses = []
    for i in range(frames):
        t = i / frames
        near, near_toe = _gait(t, back, front, ground, lift)
        far, far_toe = _gait((t + 0.5) % 1, back, front, ground, lift)
        hip = (hip_x, ground(hip_x) - hip_up - bob * math.cos(4 * math.pi * t))
        near_hand, far_hand = hands(t, hip)
        poses.append((t, Pose(hip=hip, lean=lean, near_foot=near, far_foot=far, near_toe=near_toe * toe_scale,
                              far_toe=far_toe * toe_scale, near_hand=near_hand, far_hand=far_hand)))
    return poses


def _treadmill(incline: Decimal, *, run: bool) -> Scene:
    slope = float(incline) / 100
    pivot_x, pivot_y, console_x = 214.0, 134.0, 34.0

    def deck(x: float) -> float:
        return pivot_y - (pivot_x - x) * slope

    top = deck(console_x)
    rail_up = 46.0
    rail_end = 128.0
    hip_x = 122.0
    if run:
        def hands(t, hip):
            swing = math.sin(2 * math.pi * t)
            return (hip[0] + 8 + 7 * swing, hip[1] - 12), (hip[0] + 8 - 7 * swing, hip[1] - 12)
        poses = _walk_poses(deck, hip_x, 41.5, 96, 146, 14, hands=hands, lean=4, bob=1.5)
    else:
        def hands(t, hip):
            # The near hand rests lightly on the side rail just behind the hip; the far one hangs.
            return (hip[0] - 10, deck(hip[0] - 10) - rail_up + 1), None
        poses = _walk_poses(deck, hip_x, 42.5, 101, 139, 8, hands=hands, lean=2, bob=0.8)
    stripes = " ".join(f"M{fmt(x)} {fmt(deck(x) + 3)}l{fmt(8)} {fmt(8 * slope)}" for x in range(40, 206, 16))
    kit = (
        # The frame and the belt, the console at the raised end, the side rail.
        f'<path d="M{fmt(console_x - 4)} {fmt(top + 6)}L{fmt(pivot_x + 4)} {fmt(pivot_y + 6)}" stroke="{KIT}" '
        f'stroke-width="10" stroke-linecap="round"/>'
        f'<path d="M{fmt(console_x)} {fmt(top)}L{fmt(pivot_x)} {fmt(pivot_y)}" stroke="{BELT}" stroke-width="5"/>'
        f'<path class="belt" d="{stripes}" stroke="{FAINT}" stroke-width="2"/>'
        f'<path d="M{fmt(console_x)} {fmt(top)}L{fmt(console_x - 8)} {fmt(top - 74)}" stroke="{KIT}" '
        f'stroke-width="6" stroke-linecap="round"/>'
        f'<rect x="{fmt(console_x - 20)}" y="{fmt(top - 86)}" width="26" height="14" rx="3" fill="{KIT}"/>'
        f'<path d="M{fmt(console_x - 4)} {fmt(top - rail_up)}L{fmt(rail_end)} {fmt(deck(rail_end) - rail_up)}" '
        f'stroke="{KIT}" stroke-width="4" stroke-linecap="round"/>'
        f'<path d="M{fmt(pivot_x + 6)} {fmt(pivot_y + 12)}H{fmt(console_x - 12)}" stroke="{FLOOR}" '
        f'stroke-width="2"/>'
    )
    hip = poses[0][1].hip
    # The safety key's cord, from the console to the waist.
    front = (f'<path d="M{fmt(console_x - 2)} {fmt(top - 62)}Q{fmt(hip[0] - 40)} {fmt(hip[1] + 14)} '
             f'{fmt(hip[0] - 3)} {fmt(hip[1] - 2)}" stroke="{ACCENT}" stroke-width="1.5" fill="none"/>'
             f'<text x="232" y="20" text-anchor="end" font-family="sans-serif" font-size="12" fill="{INK}">'
             f'{fmt(float(incline))} %</text>')
    period = 0.8 if run else 1.4
    pitch = 16 * math.hypot(1, slope)
    belt = (f"@keyframes belt{{to{{stroke-dashoffset:-{fmt(pitch)}}}}}"
            f".belt{{stroke-dasharray:8 {fmt(pitch - 8)};animation:belt {period / 2}s linear infinite}}")
    shown = {"incline": _number(incline)}
    if run:
        title = gettext("Retro treadmill run at %(incline)s %% incline") % shown
        description = gettext(
            "A person stands on a treadmill facing away from the console, which is at the raised end, and runs "
            "backwards uphill at a %(incline)s %% incline with arms swinging, hands free of the rail. Each foot "
            "reaches back and lands on the toes, then rolls flat as the belt carries it forwards. A safety key "
            "cord runs from the console to the waist.") % shown
    else:
        title = gettext("Retro treadmill walk at %(incline)s %% incline") % shown
        description = gettext(
            "A person stands on a treadmill facing away from the console, which is at the raised end, and walks "
            "backwards uphill at a %(incline)s %% incline with one hand resting lightly on the side rail. Each "
            "foot reaches back and lands on the toes, then rolls flat as the belt carries it forwards. A safety "
            "key cord runs from the console to the waist.") % shown
    return Scene(
        title=title,
        description=description,
        kit=kit, motion=Motion(poses, still=1), duration=period, kit_css=belt, front=front,
    )


def treadmill_walk(incline: Decimal) -> Scene:
    return _treadmill(incline, run=False)


def treadmill_run(incline: Decimal) -> Scene:
    return _treadmill(incline, run=True)


def _floor(y: float = 140.0) -> str:
    return f'<path d="M8 {fmt(y)}H232" stroke="{FLOOR}" stroke-width="3" stroke-linecap="round"/>'


def flat_walk(_incline: Decimal) -> Scene:
    def ground(_x):
        return 140.0

    def hands(t, hip):
        swing = math.sin(2 * math.pi * t)
        return (hip[0] + 4 * swing, hip[1] + 5), (hip[0] - 4 * swing, hip[1] + 5)

    poses = _walk_poses(ground, 120, 42.5, 100, 140, 8, hands=hands, lean=1, bob=0.8)
    marks = " ".join(f"M{x} 146h10" for x in range(10, 250, 30))
    kit = _floor() + f'<path class="belt" d="{marks}" stroke="{FLOOR}" stroke-width="2"/>'
    css = ("@keyframes belt{to{transform:translateX(30px)}}"
           ".belt{animation:belt 1.4s linear infinite}")
    return Scene(
        title=gettext("Retro walk on flat ground"),
        description=gettext(
            "A person walks backwards along a level floor, reaching back with the toes of each foot and "
            "rolling onto the whole foot while the knee straightens."),
        kit=kit, motion=Motion(poses, still=1), duration=1.4, kit_css=css,
    )


def step_up(_incline: Decimal) -> Scene:
    floor, step_top, step_x0, step_x1 = 140.0, 118.0, 40.0, 100.0
    keys = [
        # Standing in front of the step, back to it.
        (0.0, (116, 98), (110, 136), (122, 136), 2),
        # Reaching back with the near foot onto the step.
        (0.2, (114, 97), (86, step_top - 4), (120, 136), 6),
        # Pushing through it: the hip rises over the step.
        (0.45, (92, step_top - 42), (86, step_top - 4), (96, step_top - 4), 4),
        (0.6, (92, step_top - 43), (86, step_top - 4), (98, step_top - 4), 2),
        # Lowering back down, slowly.
        (0.8, (108, 96), (86, step_top - 4), (120, 136), 8),
    ]
    poses = []
    for t, hip, near, far, lean in keys:
        poses.append((t, Pose(hip=hip, lean=lean, near_foot=near, far_foot=far,
                              near_hand=(max(34.0, hip[0] - 12), 84.0), far_hand=None)))
    kit = (_floor() + f'<rect x="{fmt(step_x0)}" y="{fmt(step_top)}" width="{fmt(step_x1 - step_x0)}" '
           f'height="{fmt(floor - step_top)}" rx="2" fill="{KIT}"/>'
           f'<path d="M30 140V84H108" stroke="{KIT}" stroke-width="4" stroke-linecap="round" fill="none"/>')
    return Scene(
        title=gettext("Retro step-up: backwards onto a step"),
        description=gettext(
            "A person stands with their back to a low step, holding a rail. They reach back with one "
            "foot, place the whole foot on the step, push through it to rise onto the step, then lower "
            "themselves down slowly."),
        kit=kit, motion=Motion(poses, still=1), duration=3.2,
    )


def sled_drag(_incline: Decimal) -> Scene:
    def ground(_x):
        return 140.0

    def hands(t, hip):
        return (hip[0] + 26, hip[1] - 2), (hip[0] + 26, hip[1] - 1)

    poses = _walk_poses(ground, 96, 36, 76, 112, 7, hands=hands, lean=24, bob=1.2, toe_scale=0.6)
    hip = poses[0][1].hip
    marks = " ".join(f"M{x} 146h10" for x in range(10, 250, 30))
    kit = (_floor() + f'<path class="belt" d="{marks}" stroke="{FLOOR}" stroke-width="2"/>'
           f'<path d="M172 140h44l6-14h-56z" fill="{KIT}"/><rect x="184" y="104" width="22" height="22" rx="2" '
           f'fill="{BELT}"/>'
           f'<path d="M{fmt(hip[0] + 28)} {fmt(hip[1] - 1)}L170 128" stroke="{ACCENT}" stroke-width="2"/>')
    css = "@keyframes belt{to{transform:translateX(-30px)}}.belt{animation:belt 1.6s linear infinite}"
    return Scene(
        title=gettext("Backward sled drag"),
        description=gettext(
            "A person holds the straps of a weighted sled with straight arms and walks backwards in "
            "small steps, knees bent and body low, pulling the sled along the floor."),
        kit=kit, motion=Motion(poses, still=1), duration=1.6, kit_css=css,
    )


def quad_set(_incline: Decimal) -> Scene:
    # Sitting on the floor, leaning back on the hands, legs straight; a towel roll under the near knee.
    hip = (70.0, 132.0)
    relaxed, pressed = (-84.0, -92.0), (-87.0, -89.0)
    poses = []
    for t, leg in ((0.0, relaxed), (0.25, pressed), (0.75, pressed)):
        poses.append((t, Pose(hip=hip, lean=-22, near_leg=leg, far_leg=(-86.0, -90.0), near_toe=-88,
                              far_toe=-88, near_hand=(48, 138), far_hand=(46, 138))))
    kit = _floor() + f'<ellipse cx="92" cy="135" rx="5" ry="4" fill="{ACCENT}"/>'
    # The thigh's front muscle glows while it works.
    front = '<path class="work" d="M78 126h16" stroke="#f59e0b" stroke-width="3" stroke-linecap="round"/>'
    css = "@keyframes work{0%,100%{opacity:0}25%,75%{opacity:1}}.work{opacity:0;animation:work 4s infinite}"
    return Scene(
        title=gettext("Quad set"),
        description=gettext(
            "A person sits with one leg straight and a small rolled towel under the knee. They tighten "
            "the thigh to press the back of the knee down into the towel, hold, then relax."),
        kit=kit, motion=Motion(poses, still=1), duration=4.0, kit_css=css, front=front,
    )


def wall_sit(_incline: Decimal) -> Scene:
    wall = 60.0
    feet = [(88.0, 136.0), (91.0, 136.0)]
    poses = []
    for t, hip_y in ((0.0, 94.0), (0.3, 104.0), (0.7, 104.0)):
        hip = (wall + 7, hip_y)
        poses.append((t, Pose(hip=hip, lean=0, near_foot=feet[0], far_foot=feet[1], near_hand=(hip[0] + 16, hip_y - 2),
                              far_hand=(hip[0] + 14, hip_y))))
    kit = _floor() + f'<path d="M{fmt(wall)} 140V20" stroke="{KIT}" stroke-width="6"/>'
    return Scene(
        title=gettext("Wall sit"),
        description=gettext(
            "A person leans their back against a wall with the feet a step in front, slides down to a "
            "shallow squat with the knees over the feet, holds, and slides back up."),
        kit=kit, motion=Motion(poses, still=1), duration=5.0,
    )


def lateral_step_down(_incline: Decimal) -> Scene:
    step_top = 112.0
    poses = []
    for t, hip, near in ((0.0, (104.0, 70.0), (118.0, 104.0)), (0.4, (98.0, 84.0), (120.0, 136.0)),
                         (0.6, (98.0, 84.0), (120.0, 136.0))):
        poses.append((t, Pose(hip=hip, lean=10, far_foot=(106.0, step_top - 4), near_foot=near,
                              near_hand=(hip[0] - 16, 80), far_hand=None, near_toe=10)))
    kit = (_floor() + f'<rect x="76" y="{fmt(step_top)}" width="46" height="{fmt(140 - step_top)}" rx="2" '
           f'fill="{KIT}"/><path d="M70 140V80H100" stroke="{KIT}" stroke-width="4" fill="none" '
           f'stroke-linecap="round"/>')
    return Scene(
        title=gettext("Lateral step-down"),
        description=gettext(
            "A person stands sideways on a low step on one leg. They bend that knee, keeping it over "
            "the toes, to lower the other heel to touch the floor beside the step, then straighten up."),
        kit=kit, motion=Motion(poses, still=1), duration=3.0,
    )


def side_lying_abduction(_incline: Decimal) -> Scene:
    # Lying on the side, seen from the feet's end of the room: hip at the left, legs to the right.
    hip = (96.0, 124.0)
    poses = []
    for t, lift in ((0.0, -90.0), (0.35, -118.0), (0.6, -118.0)):
        poses.append((t, Pose(hip=hip, lean=-90, near_leg=(lift, lift), far_leg=(-88.0, -88.0), near_toe=-90,
                              far_toe=-90, head_tilt=10, near_hand=(hip[0] - 18, 130), far_hand=(hip[0] - 52, 128))))
    kit = _floor() + f'<rect x="30" y="132" width="180" height="8" rx="3" fill="{FLOOR}"/>'
    return Scene(
        title=gettext("Side-lying hip abduction"),
        description=gettext(
            "A person lies on their side with the lower knee bent for balance. They lift the straight "
            "top leg towards the ceiling, toes pointing forwards, pause, and lower it slowly."),
        kit=kit, motion=Motion(poses, still=1), duration=3.0,
    )


def single_leg_balance(_incline: Decimal) -> Scene:
    poses = []
    for t, sway in ((0.0, -1.5), (0.5, 1.5)):
        hip = (120.0 + sway, 94.0)
        poses.append((t, Pose(hip=hip, lean=sway, near_foot=(121.0, 136.0), far_foot=(106.0, 118.0), far_toe=30,
                              near_hand=(hip[0] + 16, hip[1] - 4), far_hand=(hip[0] - 14, hip[1] - 2))))
    kit = _floor() + f'<path d="M180 140V96h30v44" stroke="{KIT}" stroke-width="4" fill="none"/>'
    return Scene(
        title=gettext("Single-leg balance"),
        description=gettext(
            "A person stands on one leg with a soft bend in the knee, the other foot lifted behind, "
            "arms out a little for balance, next to a chair they can hold."),
        kit=kit, motion=Motion(poses, still=0), duration=3.0,
    )
