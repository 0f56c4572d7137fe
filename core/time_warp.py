"""Putting captured dance on a song's beats: the motion's own beats, and the time warp that lands
them on the music's.

A dancer's beats are where the body stops and turns (kinematic beats: minima of the kinetic
velocity, Bailando). Captured motion has such stops off the beat too, so its beat *grid* is
tracked like music's: librosa's dynamic-programming beat tracker (Ellis 2007) on an envelope that
peaks where the body stops, each tracked beat then snapped onto the nearest kinematic beat.
The warp is piecewise linear between corresponding beats (as ChoreoMaster and the first
choreographer warp their segments), sampled with slerp.
"""

from __future__ import annotations

import librosa
import numpy as np

from core.contacts import detect_foot_contacts
from core.metrics import kinematic_beats, kinetic_velocity
from core.motion import Motion

SNAP_FRACTION = 0.25  # a tracked beat moves onto a kinematic beat within this share of a beat
MOTION_TEMPO_BPM = 100.0  # the tracker's tempo prior: dancers step slower than music's 120


def motion_beats(motion: Motion, joints: np.ndarray | None = None) -> np.ndarray:
    """Beat times of a motion: ``(k,)`` float64 seconds, increasing (may be empty).

    joints : its ``joint_positions()`` when the caller has them already.
    """
    joints = motion.joint_positions() if joints is None else joints
    # Peaks where the kinetic velocity bends upward: sharp at stops, flat through glides. The
    # velocity's plain inverse peaks broadly, and the tracker then drifts off the stops.
    # ``benchmarks/retarget.py`` measures the result on the CMU captures.
    velocity = kinetic_velocity(joints)
    envelope = np.maximum(0.0, np.gradient(np.gradient(velocity)))
    _, frames = librosa.beat.beat_track(
        onset_envelope=envelope, sr=motion.fps, hop_length=1, start_bpm=MOTION_TEMPO_BPM
    )
    frames = np.asarray(frames, dtype=float)
    stops = kinematic_beats(joints)
    if len(frames) >= 2 and len(stops):
        reach = SNAP_FRACTION * np.median(np.diff(frames))
        nearest = stops[np.abs(stops[None, :] - frames[:, None]).argmin(axis=1)]
        frames = np.where(np.abs(nearest - frames) <= reach, nearest, frames)
    return np.unique(frames) / motion.fps


def warp_onto_beats(
    motion: Motion, dance_beats: np.ndarray, music_beats: np.ndarray, fps: float
) -> Motion:
    """The motion time-warped so that ``dance_beats[k]`` falls on ``music_beats[k]``.

    dance_beats, music_beats : seconds in the motion and in the song; the first K = min(len)
    pairs are used, K >= 2. The result covers music time music_beats[0] .. music_beats[K-1]
    with its frame 0 at music_beats[0], at ``fps``, foot contacts detected anew (a warp changes
    foot speeds). Raises ValueError with fewer than two beats on either side.
    """
    k = min(len(dance_beats), len(music_beats))
    if k < 2:
        raise ValueError("a time warp needs at least two beats on each side")
    span = music_beats[k - 1] - music_beats[0]
    music_times = music_beats[0] + np.arange(int(np.floor(span * fps + 1e-6)) + 1) / fps
    warped = motion.sampled_at(np.interp(music_times, music_beats[:k], dance_beats[:k]), fps)
    warped.contacts = detect_foot_contacts(warped.joint_positions(), fps)
    return warped
