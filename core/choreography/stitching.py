"""Stitching: chosen library segments time-warped onto the bars, joined at the bar lines, and
their feet locked during contacts.

Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from core.body.leg_ik import solve_leg
from core.body.skeleton import (
    CONTACTS_OF_SIDE,
    LEGS,
    N_JOINTS,
    PARENTS,
    REST_OFFSETS,
    facing_yaw,
    forward_kinematics,
    pelvis_heading,
)
from core.choreography.library import MotionLibrary

# A capture is time-warped by at most this factor either way (DESIGN.md §5); a segment that
# needs more fills a bar only where none fits, and then the least warped.
MAX_WARP = 1.25


SNAP_BEATS = 0.5  # a kinematic beat moves onto the nearest music beat (within the warp window)


# The beat accent's default depth (``accent_warp``): the playback rate swings between 0.5 and
# 1.5 of the capture's. Chosen by hand on the rendered dances and benchmarks/dance_quality.py
# (BAS 0.28 at 0, 0.41 at 0.5, 0.44 at 0.7, which already looks like a pump); a tuned value
# would fit the shared songs.
ACCENT = 0.5

LOCK_RAMP_FRAMES = 8  # frames over which a locked foot is let go (chosen by hand at 30 fps)


def _sample_segment(library: MotionLibrary, s: int, tau: np.ndarray) -> tuple[np.ndarray, ...]:
    """Quaternions (T, 24, 4, scipy x-y-z-w order), trans (T, 3) and contacts (T, 4) of segment
    s at times tau (seconds from its start), interpolating frames (normalised lerp on one
    hemisphere), moved and turned so that its first frame stands at x = z = 0 facing +Z."""
    a, b = library.spans[s]
    x = np.clip(tau * library.fps, 0, b - a - 1)
    lo = np.floor(x).astype(int)
    hi = np.minimum(lo + 1, b - a - 1)
    w = (x - lo)[:, None]
    poses, take_trans = library.poses[a:b], library.trans[a:b].astype(np.float64)
    q = Rotation.from_rotvec(poses.reshape(-1, 3)).as_quat().reshape(b - a, -1, 4)
    q0, q1 = q[lo], q[hi]
    q1 = np.where(np.sum(q0 * q1, -1, keepdims=True) < 0, -q1, q1)
    quat = q0 + w[..., None] * (q1 - q0)
    quat /= np.linalg.norm(quat, axis=-1, keepdims=True)
    trans = take_trans[lo] + w * (take_trans[hi] - take_trans[lo])
    unturn = Rotation.from_euler("y", -pelvis_heading(poses[:1])[0])
    quat[:, 0] = (unturn * Rotation.from_quat(quat[:, 0])).as_quat()
    trans = unturn.apply(trans - take_trans[0] * [1.0, 0.0, 1.0])
    contacts = library.contacts[a:b][np.rint(x).astype(int)]
    return quat, trans, contacts


def beat_anchors(
    bar_beats: np.ndarray, segment_beats: np.ndarray, stops: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The time warp of one segment onto one bar, as anchor points (music seconds, segment
    seconds), increasing: the bar lines on the segment's ends, and each of the segment's
    kinematic beats on the music beat nearest where the bar's linear warp puts it, where that
    is within ``SNAP_BEATS`` of a beat and keeps every stretch between anchors within
    ``MAX_WARP`` of the capture's speed. So the dancer's own stops land on the beat (what BAS
    and an eye read as on the beat), whatever the grid level the segment was cut at.

    bar_beats, segment_beats : (B + 1,) seconds; stops : (k,) segment seconds, kinematic beats.
    """
    music = [bar_beats[0], bar_beats[-1]]
    segment = [segment_beats[0], segment_beats[-1]]
    placed = np.interp(stops, segment_beats, bar_beats)
    beat = np.diff(bar_beats).mean()
    nearest = np.abs(placed[:, None] - bar_beats[None, 1:-1]).argmin(axis=1)
    offset = np.abs(placed - bar_beats[1:-1][nearest])
    for k in np.argsort(offset, kind="stable").tolist():
        target = bar_beats[1 + nearest[k]]
        if offset[k] > SNAP_BEATS * beat + 1e-9 or target in music:
            continue
        at = int(np.searchsorted(music, target))
        if not segment[at - 1] < stops[k] < segment[at]:
            continue
        ratios = np.diff([music[at - 1], target, music[at]]) / np.diff(
            [segment[at - 1], stops[k], segment[at]]
        )
        if np.all(np.abs(np.log(ratios)) <= np.log(MAX_WARP)):
            music.insert(at, target)
            segment.insert(at, stops[k])
    return np.array(music), np.array(segment)


def metrical_accents(beats_per_bar: int) -> np.ndarray:
    """(beats_per_bar + 1,) the bar's strong (+1) and weak (-1) beat boundaries, bar lines
    included: in an even meter the downbeat and the middle beat are strong and the others weak
    (so the dancer brakes twice a bar, a pulse slow enough for BAS's smoothing, 5 frames at
    30 fps, to keep); in an odd meter, whose bar cannot be halved, every beat is strong."""
    if beats_per_bar % 2:
        return np.ones(beats_per_bar + 1)
    return np.where(np.arange(beats_per_bar + 1) % 2 == 0, 1.0, -1.0)


def accent_warp(
    times: np.ndarray, bar_beats: np.ndarray, accent: float, strengths: np.ndarray
) -> np.ndarray:
    """Music times ``(T,)`` remapped so that the dance slows into accented beats and hurries
    through the others: at each beat boundary b the remapped time runs at the rate
    ``r_b = 1 - accent * strengths[b]``, and within a beat, of phase q in [0, 1), at
    ``1 - a cos(pi q) - c cos(2 pi q)`` with a and c set by the rates at its two ends.

    A dancer's beats are where the body brakes (kinematic beats, Bailando), and captured takes
    brake less often than the music beats: about once in two beats on the shipped library,
    and off the beat as often as on it. Both cosines integrate to zero over a beat, so every
    beat keeps its time (the segment's beats and the stops ``beat_anchors`` snapped onto them
    stay on them) and the capture keeps its mean speed; only within the beat does the speed
    swing, by at most about ``accent`` either way. With strengths alternating +1 and -1 this
    is the rate ``1 - accent cos(2 pi p)`` over each two beats.

    times : (T,) seconds inside the bar; bar_beats : (B + 1,) its beat boundaries, seconds;
    accent in [0, 0.9]; strengths : (B + 1,) in [-1, 1], each boundary's accent (+1 brakes
    hardest, -1 passes through fastest). Returns (T,) seconds, increasing.
    """
    if accent == 0.0:
        return times
    k = np.clip(np.searchsorted(bar_beats, times, side="right") - 1, 0, len(bar_beats) - 2)
    length = bar_beats[k + 1] - bar_beats[k]
    q = (times - bar_beats[k]) / length
    rate = 1.0 - accent * np.asarray(strengths, dtype=np.float64)
    # a, the cos(pi q) term, tilts from one end's rate to the other's; c, the cos(2 pi q)
    # term, lowers both ends together. The rate never falls below 1 - accent (tested).
    tilt = 0.5 * (rate[k + 1] - rate[k])
    dip = 1.0 - 0.5 * (rate[k] + rate[k + 1])
    warped = q - tilt / np.pi * np.sin(np.pi * q) - dip / (2 * np.pi) * np.sin(2 * np.pi * q)
    return bar_beats[k] + length * warped


def _smoothstep(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


VELOCITY_STEP = 1.0 / 120.0  # seconds: the finite difference of a segment's end velocities


@dataclass(frozen=True)
class _BarEnd:
    """A placed segment's pose and velocity at one of its bar lines: quaternions (24, 4)
    (the pelvis in world axes, the others in their parents'), angular velocity (24, 3) rad/s
    in the same axes, root position (3,) m and velocity (3,) m/s."""

    quat: np.ndarray
    angular_velocity: np.ndarray
    trans: np.ndarray
    velocity: np.ndarray

    @staticmethod
    def of(quat: np.ndarray, trans: np.ndarray) -> _BarEnd:
        """From two samples ``VELOCITY_STEP`` apart, (2, 24, 4) and (2, 3); the pose is the one
        at the bar line (the first at a start, the second at an end, as the caller orders)."""
        earlier, later = Rotation.from_quat(quat[0]), Rotation.from_quat(quat[1])
        spin = (later * earlier.inv()).as_rotvec() / VELOCITY_STEP
        velocity = (trans[1] - trans[0]) / VELOCITY_STEP
        return _BarEnd(quat, spin, trans, velocity)


def _blend_bar_line(
    rotations: np.ndarray,
    trans: np.ndarray,
    times: np.ndarray,
    end: _BarEnd,
    start: _BarEnd,
    last_beat: float,
    line: float,
    first_beat: float,
) -> None:
    """Offset blending across a bar line where one segment ends and another starts, in place.

    The pose and velocity jumps at the line are shared: the old segment takes minus half of
    each over its last beat and the new one plus half over its first beat, each easing in by
    a cubic Hermite curve from zero offset and zero velocity at the far beat. The dance is then
    continuous in pose and in velocity at the line, and moves as captured at the beats either
    side. This is inertialisation (Bollo, GDC 2016) with the offset spread over both sides,
    which an offline choreographer can do.

    rotations (T, 24, 4) quaternions, trans (T, 3) metres. Each joint's offset is two rotations
    on the left, in its parent's axes (the pelvis's in the world's): half the pose jump J, and
    a velocity term whose angular velocity at the line is -w on the old side and +w on the new.
    Velocity is continuous where exp(-J/2) (old spin - w) = exp(J/2) (new spin + w), so
    w = (I + R_J)^-1 (old spin - R_J new spin); for a small jump, half the difference.
    """
    jump = Rotation.from_quat(end.quat[1]) * Rotation.from_quat(start.quat[0]).inv()
    rhs = end.angular_velocity - jump.apply(start.angular_velocity)
    spin = np.linalg.solve(np.eye(3) + jump.as_matrix(), rhs[..., None])[..., 0]
    # I + R_J nears singular as J nears a half turn; past a jump of 120 degrees the velocity
    # term is held to |rhs| (twice its small-jump size) rather than grow without bound.
    size, bound = np.linalg.norm(spin, axis=-1), np.linalg.norm(rhs, axis=-1)
    spin *= (np.minimum(size, bound) / np.maximum(size, 1e-12))[:, None]
    trans_jump, velocity_jump = end.trans[1] - start.trans[0], end.velocity - start.velocity
    before = np.flatnonzero((times >= last_beat) & (times < line))
    after = np.flatnonzero((times >= line) & (times < first_beat))
    s = (times[before] - last_beat) / (line - last_beat)
    u = (times[after] - line) / (first_beat - line)
    # Hermite bases: h01 rises 0 -> 1 flat at both ends; h11 is 0 at both ends with slope 1 at
    # the right; h00 = 1 - h01 and h10 (slope 1 at the left) are their mirror images. value is
    # the share of the pose jump (-1/2 and +1/2 at the line), slope has a rate of -1 and +1 there.
    value = 0.5 * np.r_[-(3 * s**2 - 2 * s**3), 1 - 3 * u**2 + 2 * u**3]
    slope = np.r_[-(line - last_beat) * (s**3 - s**2), (first_beat - line) * (u - 2 * u**2 + u**3)]
    eased = np.r_[before, after]
    halves = Rotation.from_rotvec((value[:, None, None] * jump.as_rotvec()[None]).reshape(-1, 3))
    spins = Rotation.from_rotvec((slope[:, None, None] * spin[None]).reshape(-1, 3))
    body = Rotation.from_quat(rotations[eased].reshape(-1, 4))
    rotations[eased] = (halves * spins * body).as_quat().reshape(len(eased), N_JOINTS, 4)
    trans[eased] += value[:, None] * trans_jump + 0.5 * slope[:, None] * velocity_jump


def assemble(
    library: MotionLibrary,
    segments: list[int],
    bar_beats: np.ndarray,
    times: np.ndarray,
    accent: float = ACCENT,
    strengths: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poses (T, 24, 3), trans (T, 3) and contacts (T, 4) of the chosen segments on the bars.

    bar_beats : (n_bars, B + 1) seconds, each bar's beat boundaries (the segments' ``beats``
    have as many); times : (T,) frame times; accent : the depth of ``accent_warp`` on
    captured segments (procedural ones already brake on every beat); strengths : (n_bars,
    B + 1) its accent at each boundary, or None for ``metrical_accents``.
    """
    if strengths is None:
        strengths = np.tile(metrical_accents(bar_beats.shape[1] - 1), (len(bar_beats), 1))
    n = len(times)
    rotations = np.empty((n, N_JOINTS, 4))
    trans = np.empty((n, 3))
    contacts = np.empty((n, 4))
    heading, position = 0.0, np.zeros(3)
    previous_end: _BarEnd | None = None  # where and how the last segment ended, placed
    bar_of_frame = np.clip(
        np.searchsorted(bar_beats[:, 0], times, side="right") - 1, 0, len(bar_beats) - 1
    )
    for bar, s in enumerate(segments):
        frames = np.flatnonzero(bar_of_frame == bar)
        first, stop = library.spans[s]
        stops = library.kinematic_beats
        inside = stops[(stops > first) & (stops < stop - 1)]
        anchors = beat_anchors(bar_beats[bar], library.beats[s], (inside - first) / library.fps)
        # The procedural moves are keyed to brake on every beat: an accent would blur them.
        depth = 0.0 if "procedural" in library.tag_sets[s] else accent
        line, bar_end = bar_beats[bar, 0], bar_beats[bar, -1]
        # Besides the frames: the segment's two ends and a moment inside each, for the pose
        # and velocity the bar-line blend matches.
        sampled = np.r_[times[frames], line, line + VELOCITY_STEP, bar_end - VELOCITY_STEP, bar_end]
        tau = np.interp(accent_warp(sampled, bar_beats[bar], depth, strengths[bar]), *anchors)
        quat, local_trans, bar_contacts = _sample_segment(library, s, tau)
        turn = Rotation.from_euler("y", heading)
        quat[:, 0] = (turn * Rotation.from_quat(quat[:, 0])).as_quat()
        placed = turn.apply(local_trans * [1.0, 0.0, 1.0]) + position
        placed[:, 1] = local_trans[:, 1]
        n_frames = len(frames)
        rotations[frames] = quat[:n_frames]
        trans[frames] = placed[:n_frames]
        start = _BarEnd.of(quat[n_frames : n_frames + 2], placed[n_frames : n_frames + 2])
        if previous_end is not None and n_frames:
            _blend_bar_line(
                rotations, trans, times, previous_end, start, bar_beats[bar - 1, -2], line,
                bar_beats[bar, 1],
            )  # fmt: skip
        contacts[frames] = bar_contacts[:n_frames]
        previous_end = _BarEnd.of(quat[-2:], placed[-2:])
        # The next segment faces where this one ends, and starts where it ends.
        heading = float(facing_yaw(Rotation.from_quat(quat[-1, 0]))[0])
        position = placed[-1] * [1.0, 0.0, 1.0]
    poses = Rotation.from_quat(rotations.reshape(-1, 4)).as_rotvec().reshape(n, N_JOINTS, 3)
    return poses, trans, contacts


def lock_feet(poses: np.ndarray, trans: np.ndarray, contacts: np.ndarray) -> np.ndarray:
    """Poses with each ankle held where and as it landed during its contacts (two-bone IK),
    released over ``LOCK_RAMP_FRAMES`` after each.

    poses (T, 24, 3) axis-angle radians; trans (T, 3) metres; contacts (T, 4) in
    ``CONTACT_NAMES`` order, a foot planted where its ankle or foot channel is above 0.5.
    Returns new poses (T, 24, 3) float64 (only the hips, knees and ankles change).
    """
    poses = poses.copy()
    joints, rotations = forward_kinematics(poses, trans)
    for side, (hip, knee, ankle) in LEGS.items():
        planted = contacts[:, list(CONTACTS_OF_SIDE[side])].max(axis=1) > 0.5
        if not planted.any():
            continue
        # Held where and as it landed: the ankle's position and the foot's orientation.
        target = joints[:, ankle].copy()
        held = Rotation.from_matrix(rotations[:, ankle])
        held_quat = held.as_quat()
        weight = np.zeros(len(poses))
        edges = np.flatnonzero(np.diff(np.r_[0, planted.astype(int), 0]))
        # Released with a smoothstep: a foot that drifted from its spot during the contact
        # leaves it slowly, not with a jump on the first free frame.
        ramp = 1.0 - _smoothstep(np.arange(1, LOCK_RAMP_FRAMES + 1) / (LOCK_RAMP_FRAMES + 1))
        for first, stop in zip(edges[::2], edges[1::2], strict=True):
            after = min(stop + LOCK_RAMP_FRAMES, len(poses))
            target[first:after] = joints[first, ankle]
            held_quat[first:after] = held_quat[first]
            weight[first:stop] = 1.0
            weight[stop:after] = np.maximum(weight[stop:after], ramp[: after - stop])
        active = weight > 0
        w = weight[active]
        goal = joints[active, ankle] + w[:, None] * (target[active] - joints[active, ankle])
        current = held[active]
        landed = Rotation.from_quat(held_quat[active])
        foot = current * Rotation.from_rotvec((current.inv() * landed).as_rotvec() * w[:, None])
        local_hip, local_knee, local_ankle = solve_leg(
            joints[active, hip],
            rotations[active, PARENTS[hip]],
            goal,
            foot.as_matrix(),
            rotations[active, knee] @ np.array([0.0, 0.0, 1.0]),
            REST_OFFSETS[knee],
            REST_OFFSETS[ankle],
        )
        for joint, local in ((hip, local_hip), (knee, local_knee), (ankle, local_ankle)):
            poses[active, joint] = Rotation.from_matrix(local).as_rotvec()
    return poses
