"""A jointed stick figure drawn as animated SVG: key poses in, nested groups and CSS keyframes out.

Pure Python, no Django. A scene gives key poses as positions (hip, feet,
hands: where things are, which is how a movement is described); two-link
inverse kinematics turns them into joint angles, and the browser interpolates
the angles between key frames. Angles are kept continuous from one frame to
the next so an interpolated limb never spins the long way round.

Coordinates are SVG user units, y pointing down. A segment is drawn pointing
down from its joint; `rotate(a)` turns it clockwise, so a segment that must
point along (dx, dy) has the angle atan2(-dx, dy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

THIGH, SHIN, FOOT = 23.0, 22.0, 7.0
TORSO, NECK, HEAD_R = 28.0, 4.0, 6.0
UPPER_ARM, FOREARM = 15.0, 14.0

Point = tuple[float, float]


def _angle(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(-dx, dy))


def two_link(root: Point, target: Point, upper: float, lower: float, bend: int) -> tuple[float, float]:
    """Absolute angles of the two segments reaching from `root` towards `target`.

    `bend` is +1 when the middle joint (knee) points towards +x, -1 towards -x
    (an elbow behind the body). A target out of reach is reached for in a
    straight line.
    """
    dx, dy = target[0] - root[0], target[1] - root[1]
    reach = min(math.hypot(dx, dy), upper + lower - 0.01)
    reach = max(reach, abs(upper - lower) + 0.01)
    direction = math.atan2(dy, dx)
    opening = math.acos(max(-1.0, min(1.0, (upper**2 + reach**2 - lower**2) / (2 * upper * reach))))
    # y points down, so turning the direction clockwise is adding to it; pick the side that puts the joint on `bend`.
    candidates = []
    for sign in (1, -1):
        mid_direction = direction + sign * opening
        mid = (root[0] + upper * math.cos(mid_direction), root[1] + upper * math.sin(mid_direction))
        candidates.append(mid)
    line_dx, line_dy = dx, dy

    def side(point: Point) -> float:
        # Positive when `point` lies on the +x side of the root-target line, seen walking from root to target.
        return (point[0] - root[0]) * line_dy - (point[1] - root[1]) * line_dx

    mid = max(candidates, key=lambda p: bend * side(p)) if bend else candidates[0]
    end = (root[0] + dx * reach / max(math.hypot(dx, dy), 1e-6), root[1] + dy * reach / max(math.hypot(dx, dy), 1e-6))
    return _angle(mid[0] - root[0], mid[1] - root[1]), _angle(end[0] - mid[0], end[1] - mid[1])


@dataclass(frozen=True)
class Pose:
    """Where the body is at one key frame. Feet and hands are targets; None leaves a limb hanging."""

    hip: Point
    lean: float = 0.0  # torso angle from upright, degrees, + leaning towards +x
    near_foot: Point | None = None
    far_foot: Point | None = None
    near_hand: Point | None = None
    far_hand: Point | None = None
    near_toe: float = 0.0  # foot angle from flat, degrees, + toes pointing down
    far_toe: float = 0.0
    head_tilt: float = 0.0
    knee_bend: int = 1  # +1: knees point towards +x (the way the figure faces)
    near_leg: tuple[float, float] | None = None  # explicit (thigh, shin) absolute angles, for lying poses
    far_leg: tuple[float, float] | None = None


def _shoulder(pose: Pose) -> Point:
    lean = math.radians(pose.lean)
    return pose.hip[0] + TORSO * math.sin(lean), pose.hip[1] - TORSO * math.cos(lean)


def joint_angles(pose: Pose) -> dict[str, float]:
    """The joint rotations of one pose: legs absolute at the hip, arms relative to the torso."""
    angles: dict[str, float] = {"torso": pose.lean, "head": pose.head_tilt}
    for side, foot, toe, explicit in (("n", pose.near_foot, pose.near_toe, pose.near_leg),
                                      ("f", pose.far_foot, pose.far_toe, pose.far_leg)):
        if explicit is not None:
            thigh, shin = explicit
        elif foot is not None:
            thigh, shin = two_link(pose.hip, foot, THIGH, SHIN, pose.knee_bend)
        else:
            thigh, shin = 0.0, 0.0
        angles[f"{side}thigh"] = thigh
        angles[f"{side}shin"] = shin - thigh
        # The foot is drawn pointing towards +x; keep it at `toe` degrees from flat whatever the shin does.
        angles[f"{side}foot"] = toe - shin
    shoulder = _shoulder(pose)
    for side, hand in (("n", pose.near_hand), ("f", pose.far_hand)):
        if hand is not None:
            upper, fore = two_link(shoulder, hand, UPPER_ARM, FOREARM, -1)
        else:
            upper, fore = 0.0, 0.0
        # The arm hangs from the shoulder inside the rotated torso group: undo the torso's lean.
        angles[f"{side}upper"] = upper - pose.lean
        angles[f"{side}fore"] = fore - upper
    return angles


def _unwrap(previous: float, value: float) -> float:
    while value - previous > 180:
        value -= 360
    while value - previous < -180:
        value += 360
    return value


def fmt(value: float) -> str:
    text = f"{value:.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


@dataclass
class Motion:
    """A figure's key poses over one loop (times 0..1, the last pose wrapping to the first)."""

    poses: list[tuple[float, Pose]]
    still: int = 0  # which key frame stands for the whole movement (reduced motion, print)
    colors: tuple[str, str] = ("#12343b", "#7d9aa0")
    prefix: str = "b"
    _frames: list[tuple[float, dict[str, float], Point]] = field(default_factory=list, init=False)

    def frames(self) -> list[tuple[float, dict[str, float], Point]]:
        if not self._frames:
            previous: dict[str, float] | None = None
            for time, pose in self.poses:
                angles = joint_angles(pose)
                if previous is not None:
                    angles = {name: _unwrap(previous[name], value) for name, value in angles.items()}
                self._frames.append((time, angles, pose.hip))
                previous = angles
        return self._frames

    def svg(self) -> str:
        """The figure's groups. Each joint's transform attribute is the still key frame; the CSS animation,
        when it plays, overrides it (a CSS transform wins over the attribute)."""
        _time, angles, hip = self.frames()[self.still]
        near, far = self.colors
        p = self.prefix

        def joint(name: str, inner: str, at: Point = (0, 0)) -> str:
            move = f' transform="translate({fmt(at[0])} {fmt(at[1])})"' if at != (0, 0) else ""
            return (f'<g{move}><g class="{p}-{name}" transform="rotate({fmt(angles[name])})">'
                    f"{inner}</g></g>")

        def leg(side: str, color: str) -> str:
            foot = f'<path d="M-2 0H{fmt(FOOT)}" stroke="{color}"/>'
            shin = f'<path d="M0 0V{fmt(SHIN)}" stroke="{color}"/>' + joint(f"{side}foot", foot, (0, SHIN))
            thigh = f'<path d="M0 0V{fmt(THIGH)}" stroke="{color}"/>' + joint(f"{side}shin", shin, (0, THIGH))
            return joint(f"{side}thigh", thigh)

        def arm(side: str, color: str) -> str:
            fore = f'<path d="M0 0V{fmt(FOREARM)}" stroke="{color}"/>'
            upper = f'<path d="M0 0V{fmt(UPPER_ARM)}" stroke="{color}"/>' + joint(f"{side}fore", fore,
                                                                                   (0, UPPER_ARM))
            return joint(f"{side}upper", upper, (0, -TORSO))

        head = f'<circle cy="{fmt(-(NECK + HEAD_R))}" r="{fmt(HEAD_R)}" fill="{near}" stroke="none"/>'
        torso = (arm("f", far) + f'<path d="M0 0V{fmt(-TORSO)}" stroke="{near}"/>'
                 + joint("head", head, (0, -TORSO)) + arm("n", near))
        body = leg("f", far) + joint("torso", torso) + leg("n", near)
        return (f'<g class="{p}-root" transform="translate({fmt(hip[0])} {fmt(hip[1])})" fill="none" '
                f'stroke-width="5" stroke-linecap="round" stroke-linejoin="round">{body}</g>')

    def css(self, duration: float, easing: str = "ease-in-out") -> str:
        """Keyframes for every joint that moves, and the animation rules that play them."""
        frames = self.frames()
        times = [t for t, _a, _h in frames] + [1.0]
        p = self.prefix
        rules = []
        names = list(frames[0][1])
        for name in names:
            values = [a[name] for _t, a, _h in frames]
            values.append(_unwrap(values[-1], values[0]))
            if max(values) - min(values) < 0.2:
                continue
            steps = "".join(f"{fmt(t * 100)}%{{transform:rotate({fmt(v)}deg)}}" for t, v in zip(times, values))
            rules.append(f"@keyframes {p}-{name}{{{steps}}}.{p}-{name}{{animation:{p}-{name} {duration}s "
                         f"{easing} infinite}}")
        hips = [h for _t, _a, h in frames] + [frames[0][2]]
        if len({(round(x, 1), round(y, 1)) for x, y in hips}) > 1:
            steps = "".join(f"{fmt(t * 100)}%{{transform:translate({fmt(x)}px,{fmt(y)}px)}}"
                            for t, (x, y) in zip(times, hips))
            rules.append(f"@keyframes {p}-root{{{steps}}}.{p}-root{{animation:{p}-root {duration}s "
                         f"{easing} infinite}}")
        return "".join(rules)
