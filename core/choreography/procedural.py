"""The procedural choreographer: procedural moves, one per bar, time-warped onto the music's beats.

1. The song's beats are extended to a grid of whole bars covering the song, starting at a
   downbeat at or before 0 s.
2. One move per bar is drawn with a seeded generator: moves whose energy is near the bar's
   loudness are likelier, a move is often repeated once (dance phrases come in pairs of bars),
   never three times running.
3. Every key of every bar becomes a row of channel values (pelvis offset, heading, upper-body
   Eulers, foot spots) in world terms, so keys of consecutive bars interpolate into each other:
   that interpolation is the blend at bar boundaries.
4. Each frame's time maps piecewise-linearly to beat position (the time warp: key beat k of a
   move lands on music beat k), then channels ease between keys: every channel holds each key
   pose briefly and eases out of it (a dancer's hit), which makes the keys the kinematic beats.
5. Legs are solved by IK from the foot spots, so a planted foot does not move (feet locked during
   contacts) and the pelvis height keeps the feet on the floor.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from core.analysis import SongAnalysis
from core.body.contacts import detect_foot_contacts
from core.body.leg_ik import solve_leg
from core.body.motion import DEFAULT_FPS, Motion
from core.body.skeleton import JOINT_NAMES, LEGS, N_JOINTS, REST_OFFSETS, forward_kinematics
from core.choreography.bars import bar_grid, bar_loudness
from core.choreography.moves import MOVE_BEATS, NEUTRAL_JOINTS, PROCEDURAL_MOVES, Key, Move

ANKLE_HEIGHT_M = 0.09  # ankle joint above the floor with the foot flat (foot joint about 3 cm)
STANCE_HALF_WIDTH_M = 0.12  # neutral ankles this far either side of the body's centre line
KNEE_SOFTNESS = 0.96  # standing hip-to-ankle distance as a share of the leg's full reach
STEP_HEIGHT_M = 0.06  # a foot travelling 10 cm or more clears the floor by this much
ENERGY_WIDTH = 0.25  # how far a move's energy may sit from the bar's loudness and still be chosen
REPEAT_PROBABILITY = 0.5
# Share of each key-to-key interval held still at either end. Bailando's kinematic beats are
# minima of a speed smoothed over 5 frames; a hold keeps them on the key when neighbouring beats
# move unequally (measured on 7 game songs, hit rate: 0.75 without a hold, 0.88 with 0.15).
HOLD = 0.15

KEYED_JOINTS = tuple(
    j for j in range(N_JOINTS) if all(j not in leg for leg in LEGS.values())
)  # pelvis tilt, spine, neck, head, arms, toes

# Channel layout of one key or frame: pelvis offset (3), heading (1, radians), Eulers of the
# keyed joints (3 each, radians), then per foot: x, z, lift (metres) and world yaw (radians).
PELVIS = slice(0, 3)
HEADING = 3
EULERS = slice(4, 4 + 3 * len(KEYED_JOINTS))
FEET = {
    "left": slice(EULERS.stop, EULERS.stop + 4),
    "right": slice(EULERS.stop + 4, EULERS.stop + 8),
}
N_CHANNELS = EULERS.stop + 8


def _neutral_ankle(side: str) -> np.ndarray:
    """Neutral ankle spot (3,) of a foot, metres, dancer frame: stance width, rest depth."""
    hip, knee, ankle = LEGS[side]
    rest_z = REST_OFFSETS[hip, 2] + REST_OFFSETS[knee, 2] + REST_OFFSETS[ankle, 2]
    sign = 1.0 if side == "left" else -1.0
    return np.array([sign * STANCE_HALF_WIDTH_M, ANKLE_HEIGHT_M, rest_z])


def _standing_pelvis_height() -> float:
    """Pelvis height (metres) at which the neutral stance bends the knees to KNEE_SOFTNESS."""
    hip, knee, ankle = LEGS["left"]
    reach = np.linalg.norm(REST_OFFSETS[knee]) + np.linalg.norm(REST_OFFSETS[ankle])
    horizontal = _neutral_ankle("left")[[0, 2]] - REST_OFFSETS[hip, [0, 2]]
    vertical = np.sqrt((KNEE_SOFTNESS * reach) ** 2 - horizontal @ horizontal)
    return float(ANKLE_HEIGHT_M + vertical - REST_OFFSETS[hip, 1])


NEUTRAL_ANKLES = {side: _neutral_ankle(side) for side in LEGS}
STANDING_PELVIS_HEIGHT = _standing_pelvis_height()


def choose_moves(
    n_bars: int, rng: np.random.Generator, bar_energy: np.ndarray | None = None
) -> list[Move]:
    """One move per bar. bar_energy : (n_bars,) in [0, 1], or None for a uniform choice."""
    energies = np.array([move.energy for move in PROCEDURAL_MOVES])
    chosen: list[Move] = []
    for bar in range(n_bars):
        if (
            chosen
            and rng.random() < REPEAT_PROBABILITY
            and (len(chosen) < 2 or chosen[-2] is not chosen[-1])
        ):
            chosen.append(chosen[-1])
            continue
        target = 0.5 if bar_energy is None else float(bar_energy[bar])
        weights = np.exp(-((energies - target) ** 2) / (2 * ENERGY_WIDTH**2))
        if chosen:
            weights[PROCEDURAL_MOVES.index(chosen[-1])] = 0.0
        chosen.append(
            PROCEDURAL_MOVES[rng.choice(len(PROCEDURAL_MOVES), p=weights / weights.sum())]
        )
    return chosen


def _key_row(key: Key, heading: float) -> np.ndarray:
    """Channel values of one key in a bar whose heading is ``heading`` radians."""
    row = np.zeros(N_CHANNELS)
    row[PELVIS] = key.pelvis
    row[HEADING] = heading + np.radians(key.turn)
    eulers = row[EULERS].reshape(-1, 3)
    for i, joint in enumerate(KEYED_JOINTS):
        name = JOINT_NAMES[joint]
        eulers[i] = np.radians(key.joints.get(name, NEUTRAL_JOINTS.get(name, (0.0, 0.0, 0.0))))
    row[EULERS] = eulers.reshape(-1)
    for side, foot in (("left", key.left), ("right", key.right)):
        row[FEET[side]] = (foot.x, foot.z, foot.lift, heading + np.radians(foot.yaw))
    return row


def key_channels(moves: list[Move]) -> tuple[np.ndarray, np.ndarray]:
    """Key beat positions ``(K,)`` and channel rows ``(K, N_CHANNELS)`` for consecutive bars.

    A neutral key closes the last bar so the dance settles at the song's end.
    """
    beats, rows = [], []
    heading = 0.0
    for bar, move in enumerate(moves):
        for key in move.keys:
            beats.append(bar * MOVE_BEATS + key.beat)
            rows.append(_key_row(key, heading))
        heading += np.radians(move.turn)
    beats.append(len(moves) * MOVE_BEATS)
    rows.append(_key_row(Key(0), heading))
    return np.array(beats), np.array(rows)


def _ease(s: np.ndarray) -> np.ndarray:
    """Hold, then smootherstep (zero velocity and acceleration at both ends), then hold."""
    s = np.clip((s - HOLD) / (1.0 - 2.0 * HOLD), 0.0, 1.0)
    return s**3 * (s * (6.0 * s - 15.0) + 10.0)


def ankle_spots(channels: np.ndarray, side: str) -> np.ndarray:
    """Ankle spot on the floor (T, 3) of one foot, world metres (lift not included)."""
    x, z, _, yaw = (channels[:, FEET[side]][:, i] for i in range(4))
    local = NEUTRAL_ANKLES[side] + np.stack([x, np.zeros_like(x), z], axis=-1)
    return Rotation.from_euler("y", yaw[:, None]).apply(local)


def sample_channels(
    key_beats: np.ndarray, keys: np.ndarray, beat_position: np.ndarray
) -> np.ndarray:
    """Channels at each frame's beat position, easing from key to key.

    key_beats : (K,) increasing; keys : (K, C); beat_position : (T,). Returns ``(T, C)``.
    A foot whose spot changes between two keys is lifted along a sine arc on the way.
    """
    segment = np.clip(
        np.searchsorted(key_beats, beat_position, side="right") - 1, 0, len(key_beats) - 2
    )
    start, end = key_beats[segment], key_beats[segment + 1]
    eased = _ease(np.clip((beat_position - start) / (end - start), 0.0, 1.0))[:, None]
    frames = keys[segment] + eased * (keys[segment + 1] - keys[segment])
    for side in LEGS:
        spots = ankle_spots(keys, side)
        travel = np.linalg.norm(np.diff(spots[:, [0, 2]], axis=0), axis=-1)  # (K-1,)
        arc = STEP_HEIGHT_M * np.minimum(1.0, travel / 0.10)
        frames[:, FEET[side].start + 2] += arc[segment] * np.sin(np.pi * eased[:, 0])
    return frames


def pose_from_channels(channels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SMPL ``poses`` (T, 24, 3) axis-angle radians and ``trans`` (T, 3) metres from channels."""
    n_frames = len(channels)
    heading = Rotation.from_euler("y", channels[:, [HEADING]])
    local = np.tile(np.eye(3), (n_frames, N_JOINTS, 1, 1))
    eulers = channels[:, EULERS].reshape(-1, 3)
    local[:, list(KEYED_JOINTS)] = (
        Rotation.from_euler("XYZ", eulers).as_matrix().reshape(n_frames, len(KEYED_JOINTS), 3, 3)
    )
    local[:, 0] = heading.as_matrix() @ local[:, 0]  # the pelvis tilts within the heading
    trans = heading.apply(channels[:, PELVIS]) + [0.0, STANDING_PELVIS_HEIGHT, 0.0]
    for side, (hip, knee, ankle) in LEGS.items():
        foot = channels[:, FEET[side]]
        foot_rotation = Rotation.from_euler("y", foot[:, [3]])
        target = ankle_spots(channels, side) + np.outer(foot[:, 2], [0.0, 1.0, 0.0])
        hip_position = trans + local[:, 0] @ REST_OFFSETS[hip]  # hips hang off the pelvis
        local[:, hip], local[:, knee], local[:, ankle] = solve_leg(
            hip_position,
            local[:, 0],
            target,
            foot_rotation.as_matrix(),
            foot_rotation.apply([0.0, 0.0, 1.0]),
            REST_OFFSETS[knee],
            REST_OFFSETS[ankle],
        )
    poses = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_rotvec().reshape(n_frames, N_JOINTS, 3)
    return poses, trans


def render_bar(move: Move, amplitude: float, beat_seconds: float, fps: float) -> Motion:
    """One bar of ``move`` on a steady beat, as it runs into its own repeat: frames 0 .. 4 beats
    inclusive. amplitude : scales the upper body's and pelvis's excursions from the neutral pose
    (the feet keep their spots, so contacts stay true). Beats of the Motion are the bar's five
    beat boundaries, seconds."""
    key_beats, keys = key_channels([move, move])
    neutral = _key_row(Key(0), 0.0)
    keys[:, EULERS] = neutral[EULERS] + amplitude * (keys[:, EULERS] - neutral[EULERS])
    keys[:, PELVIS] *= amplitude
    n_frames = int(round(MOVE_BEATS * beat_seconds * fps)) + 1
    beat_position = np.arange(n_frames) / fps / beat_seconds
    poses, trans = pose_from_channels(sample_channels(key_beats, keys, beat_position))
    return _with_contacts(poses, trans, fps, np.arange(MOVE_BEATS + 1) * beat_seconds)


def _with_contacts(
    poses: np.ndarray,
    trans: np.ndarray,
    fps: float,
    beats: np.ndarray,
    downbeats: np.ndarray | None = None,
) -> Motion:
    """A Motion with its foot contacts detected from its own joints."""
    joints, _ = forward_kinematics(poses, trans)
    return Motion(
        poses=poses,
        trans=trans,
        fps=fps,
        contacts=detect_foot_contacts(joints, fps),
        beats=beats,
        downbeats=np.zeros(0) if downbeats is None else downbeats,
    )


def choreograph(song: SongAnalysis, fps: float = DEFAULT_FPS, seed: int = 0) -> Motion:
    """A dance for an analysed song.

    fps : output frame rate; seed : the same seed gives the same dance
    Returns a Motion of ``ceil(duration * fps)`` frames with foot contacts and the song's beats;
    louder bars get more energetic moves when the song's loudness is known.
    """
    beat_track = song.beat_track
    grid = bar_grid(beat_track, *song.music, MOVE_BEATS)  # in any meter, moves of four
    bar_energy = None
    if song.loudness is not None and song.loudness_times is not None:
        bar_energy = bar_loudness(song.loudness, song.loudness_times, grid)
    moves = choose_moves(grid.n_bars, np.random.default_rng(seed), bar_energy)
    key_beats, keys = key_channels(moves)
    channels = sample_channels(key_beats, keys, grid.beat_position(song.dance_times(fps)))
    poses, trans = pose_from_channels(channels)
    return _with_contacts(poses, trans, fps, beat_track.beats, beat_track.downbeats)
