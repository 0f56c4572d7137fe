"""The procedural move library: bar-long dance moves written by the project.

A move is a list of key poses at beat positions within a 4/4 bar. Keys fall on every beat, so the
move's kinematic beats are its key beats: every channel eases in and out of each key (zero
velocity there), and the choreographer time-warps the beats onto the music's.

Conventions (SMPL, Y-up, the dancer faces +Z, +X is the dancer's left):
- ``pelvis``: offset of the pelvis from the standing pose, metres, in the dancer's frame;
- ``turn``: body yaw from the bar's heading, degrees, positive turning left (about +Y);
- ``joints``: XYZ Euler angles in degrees, local to the parent joint, for the upper body and the
  pelvis tilt; a joint not named keeps its ``NEUTRAL_JOINTS`` value. Legs are solved by IK;
- ``left``/``right`` (``Foot``): each foot's offset from its neutral spot (metres, in its own yaw
  frame), lift above the floor (metres) and yaw from the bar's heading (degrees). A foot whose
  spot stays the same between keys is planted; one that moves travels through the air.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

MOVE_BEATS = 4

# Relaxed upper body: arms down at the sides, elbows a little bent (the rest pose is a T-pose).
NEUTRAL_JOINTS: Mapping[str, tuple[float, float, float]] = MappingProxyType(
    {
        "left_shoulder": (0.0, 0.0, -65.0),
        "right_shoulder": (0.0, 0.0, 65.0),
        "left_elbow": (0.0, -20.0, 0.0),
        "right_elbow": (0.0, 20.0, 0.0),
    }
)


@dataclass(frozen=True)
class Foot:
    """A foot key: offset (x, z) and lift in metres, yaw in degrees from the bar's heading."""

    x: float = 0.0
    z: float = 0.0
    lift: float = 0.0
    yaw: float = 0.0


@dataclass(frozen=True)
class Key:
    """A key pose at ``beat`` (0 <= beat < 4) within the bar; see the module docstring."""

    beat: float
    pelvis: tuple[float, float, float] = (0.0, 0.0, 0.0)
    turn: float = 0.0
    joints: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)
    left: Foot = Foot()
    right: Foot = Foot()


@dataclass(frozen=True)
class Move:
    """A bar-long move.

    keys : key poses, at least one on every beat of the bar
    energy : 0 (calm) to 1 (energetic); the choreographer matches it to the music's loudness
    turn : body yaw at the end of the bar, degrees; the next bar starts from that heading
    """

    name: str
    keys: tuple[Key, ...]
    energy: float
    turn: float = 0.0

    @property
    def kinematic_beats(self) -> tuple[float, ...]:
        """Beat positions within the bar where the motion comes to a stop."""
        return tuple(key.beat for key in self.keys)


def _mirror_euler(angles: tuple[float, float, float]) -> tuple[float, float, float]:
    # Reflecting through the body's sagittal plane (x -> -x) negates rotations about Y and Z.
    return (angles[0], -angles[1], -angles[2])


def _mirror_name(joint: str) -> str:
    if joint.startswith("left_"):
        return "right_" + joint[5:]
    if joint.startswith("right_"):
        return "left_" + joint[6:]
    return joint


def _mirror_foot(foot: Foot) -> Foot:
    return Foot(-foot.x, foot.z, foot.lift, -foot.yaw)


def mirrored(move: Move) -> Move:
    """The same move danced on the other side (left and right swapped)."""
    keys = tuple(
        Key(
            beat=key.beat,
            pelvis=(-key.pelvis[0], key.pelvis[1], key.pelvis[2]),
            turn=-key.turn,
            joints={_mirror_name(j): _mirror_euler(a) for j, a in key.joints.items()},
            left=_mirror_foot(key.right),
            right=_mirror_foot(key.left),
        )
        for key in move.keys
    )
    return replace(move, name=move.name + "_mirrored", keys=keys, turn=-move.turn)


def _arms(
    left: tuple[float, float, float],
    right: tuple[float, float, float],
    left_elbow: float = -20.0,
    right_elbow: float = 20.0,
) -> dict[str, tuple[float, float, float]]:
    """Shoulder Eulers for both arms and elbow bends (degrees about the elbow's Y axis)."""
    return {
        "left_shoulder": left,
        "right_shoulder": right,
        "left_elbow": (0.0, left_elbow, 0.0),
        "right_elbow": (0.0, right_elbow, 0.0),
    }


DOWN_L, DOWN_R = (0.0, 0.0, -65.0), (0.0, 0.0, 65.0)
UP_L, UP_R = (0.0, 0.0, 70.0), (0.0, 0.0, -70.0)
FORWARD_L, FORWARD_R = (0.0, -75.0, -15.0), (0.0, 75.0, 15.0)
OPEN_L, OPEN_R = (0.0, -10.0, -20.0), (0.0, 10.0, 20.0)


def bounce() -> Move:
    down = {"neck": (12.0, 0.0, 0.0), **_arms(DOWN_L, DOWN_R, -45.0, 45.0)}
    return Move(
        "bounce",
        energy=0.3,
        keys=(
            Key(0, pelvis=(0, -0.07, 0), joints=down),
            Key(1, pelvis=(0, -0.01, 0)),
            Key(2, pelvis=(0, -0.07, 0), joints=down),
            Key(3, pelvis=(0, -0.01, 0)),
        ),
    )


def step_touch() -> Move:
    swing_a = _arms((0.0, -35.0, -60.0), (0.0, -35.0, 60.0), -60.0, 60.0)
    swing_b = _arms((0.0, 35.0, -60.0), (0.0, 35.0, 60.0), -60.0, 60.0)
    return Move(
        "step_touch",
        energy=0.5,
        keys=(
            Key(0, pelvis=(-0.075, -0.06, 0), right=Foot(x=-0.15), joints=swing_a),
            Key(
                1, pelvis=(-0.15, -0.01, 0), left=Foot(x=-0.15), right=Foot(x=-0.15), joints=swing_b
            ),
            Key(2, pelvis=(-0.075, -0.06, 0), right=Foot(x=-0.15), joints=swing_a),
            Key(3, pelvis=(0, -0.01, 0), joints=swing_b),
        ),
    )


def sway() -> Move:
    wide = {"left": Foot(x=0.06), "right": Foot(x=-0.06)}
    to_left = {
        "spine2": (0.0, 0.0, -6.0),
        "head": (0.0, 0.0, 8.0),
        **_arms((0.0, -20.0, -50.0), (0.0, -20.0, 75.0), -35.0, 20.0),
    }
    to_right = {
        "spine2": (0.0, 0.0, 6.0),
        "head": (0.0, 0.0, -8.0),
        **_arms((0.0, 20.0, -75.0), (0.0, 20.0, 50.0), -20.0, 35.0),
    }
    return Move(
        "sway",
        energy=0.2,
        keys=(
            Key(0, pelvis=(0.06, -0.05, 0), joints=to_left, **wide),
            Key(1, pelvis=(-0.06, -0.05, 0), joints=to_right, **wide),
            Key(2, pelvis=(0.06, -0.05, 0), joints=to_left, **wide),
            Key(3, pelvis=(-0.06, -0.05, 0), joints=to_right, **wide),
        ),
    )


def arm_pump() -> Move:
    left_up = _arms((0.0, -20.0, 60.0), (0.0, 30.0, 50.0), -100.0, 110.0)
    right_up = _arms((0.0, -30.0, -50.0), (0.0, 20.0, -60.0), -110.0, 100.0)
    return Move(
        "arm_pump",
        energy=0.85,
        keys=(
            Key(0, pelvis=(0, -0.08, 0), joints={**left_up, "neck": (10.0, 0.0, 0.0)}),
            Key(1, pelvis=(0, -0.02, 0), joints=right_up),
            Key(2, pelvis=(0, -0.08, 0), joints={**left_up, "neck": (10.0, 0.0, 0.0)}),
            Key(3, pelvis=(0, -0.02, 0), joints=right_up),
        ),
    )


def clap() -> Move:
    open_arms = _arms(OPEN_L, OPEN_R, -30.0, 30.0)
    together = _arms((0.0, -70.0, -25.0), (0.0, 70.0, 25.0), -55.0, 55.0)
    return Move(
        "clap",
        energy=0.4,
        keys=(
            Key(0, pelvis=(0, -0.05, 0), joints=open_arms),
            Key(1, pelvis=(0, -0.02, 0), joints={**together, "neck": (10.0, 0.0, 0.0)}),
            Key(2, pelvis=(0, -0.05, 0), joints=open_arms),
            Key(3, pelvis=(0, -0.02, 0), joints={**together, "neck": (10.0, 0.0, 0.0)}),
        ),
    )


def disco_point() -> Move:
    point_up = {
        **_arms((0.0, -20.0, -75.0), (0.0, -20.0, -45.0), -70.0, 0.0),
        "head": (-10.0, 0.0, -10.0),
        "spine2": (0.0, 0.0, 5.0),
    }
    point_down = {
        **_arms((0.0, -20.0, -75.0), (0.0, 40.0, 40.0), -70.0, 0.0),
        "head": (15.0, 0.0, 10.0),
        "spine2": (0.0, 0.0, -5.0),
    }
    return Move(
        "disco_point",
        energy=0.6,
        keys=(
            Key(0, pelvis=(-0.05, -0.04, 0), joints=point_up, right=Foot(x=-0.05)),
            Key(1, pelvis=(0.04, -0.05, 0), joints=point_down, right=Foot(x=-0.05)),
            Key(2, pelvis=(-0.05, -0.04, 0), joints=point_up, right=Foot(x=-0.05)),
            Key(3, pelvis=(0.0, -0.02, 0), joints=point_down),
        ),
    )


def twist() -> Move:
    def side(sign: float) -> dict:
        return {
            "spine3": (0.0, -12.0 * sign, 0.0),
            **_arms((0.0, 30.0 * sign, -55.0), (0.0, 30.0 * sign, 55.0), -80.0, 80.0),
        }

    return Move(
        "twist",
        energy=0.6,
        keys=(
            Key(0, pelvis=(0, -0.08, 0), turn=25.0, joints=side(1.0)),
            Key(1, pelvis=(0, -0.06, 0), turn=-25.0, joints=side(-1.0)),
            Key(2, pelvis=(0, -0.08, 0), turn=25.0, joints=side(1.0)),
            Key(3, pelvis=(0, -0.06, 0), turn=-25.0, joints=side(-1.0)),
        ),
    )


def stepping_turn(name: str, degrees: float, energy: float, arms: dict) -> Move:
    """Turn ``degrees`` to the left in four steps, the feet taking turns to step round."""
    step = degrees / MOVE_BEATS
    left = right = 0.0
    keys = []
    for beat in range(MOVE_BEATS):
        if beat % 2 == 0:
            left = (beat + 1) * step
        else:
            right = (beat + 1) * step
        keys.append(
            Key(
                beat,
                pelvis=(0, -0.05 if beat % 2 == 0 else -0.02, 0),
                turn=(beat + 1) * step,
                left=Foot(yaw=left),
                right=Foot(yaw=right),
                joints=arms if beat % 2 == 0 else {},
            )
        )
    return Move(name, energy=energy, turn=degrees, keys=tuple(keys))


def quarter_turn() -> Move:
    arms_out = _arms((0.0, 0.0, -30.0), (0.0, 0.0, 30.0), -30.0, 30.0)
    return stepping_turn("quarter_turn", 90.0, energy=0.5, arms=arms_out)


def half_turn() -> Move:
    arms_up = _arms((0.0, 0.0, 20.0), (0.0, 0.0, -20.0), -40.0, 40.0)
    return stepping_turn("half_turn", 180.0, energy=0.75, arms=arms_up)


def kick() -> Move:
    return Move(
        "kick",
        energy=0.9,
        keys=(
            Key(0, pelvis=(0.03, -0.07, 0), joints=_arms(OPEN_L, OPEN_R, -40.0, 40.0)),
            Key(
                1,
                pelvis=(0.05, -0.03, -0.04),
                right=Foot(z=0.32, lift=0.22),
                joints={
                    "spine2": (-6.0, 0.0, 0.0),
                    **_arms((0.0, -50.0, -40.0), (0.0, -30.0, 50.0)),
                },
            ),
            Key(2, pelvis=(-0.03, -0.07, 0), joints=_arms(OPEN_L, OPEN_R, -40.0, 40.0)),
            Key(
                3,
                pelvis=(-0.05, -0.03, -0.04),
                left=Foot(z=0.32, lift=0.22),
                joints={"spine2": (-6.0, 0.0, 0.0), **_arms((0.0, 30.0, -50.0), (0.0, 50.0, 40.0))},
            ),
        ),
    )


def march() -> Move:
    left_knee_up = _arms((0.0, 30.0, -65.0), (0.0, 30.0, 65.0), -70.0, 70.0)
    right_knee_up = _arms((0.0, -30.0, -65.0), (0.0, -30.0, 65.0), -70.0, 70.0)
    return Move(
        "march",
        energy=0.5,
        keys=(
            Key(0, pelvis=(-0.04, -0.02, 0), left=Foot(z=0.10, lift=0.20), joints=left_knee_up),
            Key(1, pelvis=(0, -0.05, 0)),
            Key(2, pelvis=(0.04, -0.02, 0), right=Foot(z=0.10, lift=0.20), joints=right_knee_up),
            Key(3, pelvis=(0, -0.05, 0)),
        ),
    )


def shimmy() -> Move:
    def shrug(sign: float) -> dict:
        return {
            "left_collar": (0.0, 0.0, 12.0 * sign),
            "right_collar": (0.0, 0.0, 12.0 * sign),
            "spine3": (0.0, 10.0 * sign, 0.0),
            **_arms((0.0, -25.0, -50.0), (0.0, 25.0, 50.0), -90.0, 90.0),
        }

    return Move(
        "shimmy",
        energy=0.7,
        keys=(
            Key(0, pelvis=(0, -0.07, 0), joints=shrug(1.0), left=Foot(x=0.04), right=Foot(x=-0.04)),
            Key(
                1, pelvis=(0, -0.04, 0), joints=shrug(-1.0), left=Foot(x=0.04), right=Foot(x=-0.04)
            ),
            Key(2, pelvis=(0, -0.07, 0), joints=shrug(1.0), left=Foot(x=0.04), right=Foot(x=-0.04)),
            Key(
                3, pelvis=(0, -0.04, 0), joints=shrug(-1.0), left=Foot(x=0.04), right=Foot(x=-0.04)
            ),
        ),
    )


def body_wave() -> Move:
    chest_out = {
        "spine2": (-8.0, 0.0, 0.0),
        "spine3": (-10.0, 0.0, 0.0),
        "neck": (12.0, 0.0, 0.0),
        **_arms((0.0, 25.0, -60.0), (0.0, -25.0, 60.0), -30.0, 30.0),
    }
    chest_in = {
        "spine2": (10.0, 0.0, 0.0),
        "spine3": (12.0, 0.0, 0.0),
        "neck": (-10.0, 0.0, 0.0),
        **_arms((0.0, -35.0, -60.0), (0.0, 35.0, 60.0), -60.0, 60.0),
    }
    return Move(
        "body_wave",
        energy=0.3,
        keys=(
            Key(0, pelvis=(0, -0.04, 0.04), joints=chest_out),
            Key(1, pelvis=(0, -0.07, -0.04), joints=chest_in),
            Key(2, pelvis=(0, -0.04, 0.04), joints=chest_out),
            Key(3, pelvis=(0, -0.07, -0.04), joints=chest_in),
        ),
    )


def squat_drop() -> Move:
    wide = {"left": Foot(x=0.08, yaw=-15.0), "right": Foot(x=-0.08, yaw=15.0)}
    return Move(
        "squat_drop",
        energy=0.65,
        keys=(
            Key(
                0,
                pelvis=(0, -0.24, -0.06),
                joints={"spine1": (20.0, 0.0, 0.0), **_arms(FORWARD_L, FORWARD_R, -10.0, 10.0)},
                **wide,
            ),
            Key(
                1,
                pelvis=(0, -0.18, -0.05),
                joints={
                    "spine1": (12.0, 0.0, 0.0),
                    "neck": (15.0, 0, 0),
                    **_arms(FORWARD_L, FORWARD_R, -60.0, 60.0),
                },
                **wide,
            ),
            Key(2, pelvis=(0, -0.01, 0), joints=_arms(UP_L, UP_R, -10.0, 10.0), **wide),
            Key(3, pelvis=(0, -0.05, 0), joints=_arms(OPEN_L, OPEN_R, -40.0, 40.0)),
        ),
    )


def rock() -> Move:
    stagger = {"left": Foot(z=0.12), "right": Foot(z=-0.10)}
    forward = {
        "spine2": (10.0, 0.0, 0.0),
        "neck": (10.0, 0.0, 0.0),
        **_arms((0.0, -20.0, -60.0), (0.0, 20.0, 60.0), -80.0, 80.0),
    }
    back = {
        "spine2": (-6.0, 0.0, 0.0),
        "neck": (-8.0, 0.0, 0.0),
        **_arms((0.0, 15.0, -65.0), (0.0, -15.0, 65.0), -40.0, 40.0),
    }
    return Move(
        "rock",
        energy=0.45,
        keys=(
            Key(0, pelvis=(0, -0.06, 0.05), joints=forward, **stagger),
            Key(1, pelvis=(0, -0.03, -0.04), joints=back, **stagger),
            Key(2, pelvis=(0, -0.06, 0.05), joints=forward, **stagger),
            Key(3, pelvis=(0, -0.03, -0.04), joints=back, **stagger),
        ),
    )


def arms_wave() -> Move:
    up_left = {"spine2": (0.0, 0.0, 8.0), **_arms((0.0, 0.0, 80.0), (0.0, 0.0, -40.0), -20.0, 30.0)}
    up_right = {
        "spine2": (0.0, 0.0, -8.0),
        **_arms((0.0, 0.0, 40.0), (0.0, 0.0, -80.0), -30.0, 20.0),
    }
    return Move(
        "arms_wave",
        energy=0.55,
        keys=(
            Key(0, pelvis=(0.05, -0.05, 0), joints=up_left, left=Foot(x=0.05), right=Foot(x=-0.05)),
            Key(
                1, pelvis=(-0.05, -0.05, 0), joints=up_right, left=Foot(x=0.05), right=Foot(x=-0.05)
            ),
            Key(2, pelvis=(0.05, -0.05, 0), joints=up_left, left=Foot(x=0.05), right=Foot(x=-0.05)),
            Key(
                3, pelvis=(-0.05, -0.05, 0), joints=up_right, left=Foot(x=0.05), right=Foot(x=-0.05)
            ),
        ),
    )


# Moves that are not left-right symmetric come in both handednesses.
_BASE_MOVES = (
    bounce(),
    step_touch(),
    sway(),
    arm_pump(),
    clap(),
    disco_point(),
    twist(),
    quarter_turn(),
    half_turn(),
    kick(),
    march(),
    shimmy(),
    body_wave(),
    squat_drop(),
    rock(),
    arms_wave(),
)
_ASYMMETRIC = {"step_touch", "disco_point", "quarter_turn", "half_turn", "kick", "rock"}
PROCEDURAL_MOVES: tuple[Move, ...] = _BASE_MOVES + tuple(
    mirrored(move) for move in _BASE_MOVES if move.name in _ASYMMETRIC
)
