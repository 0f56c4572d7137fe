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
from scipy.ndimage import gaussian_filter1d

from core.body.contacts import detect_foot_contacts
from core.body.motion import Motion
from core.body.skeleton import FOOT_JOINTS
from core.metrics import kinematic_beats, kinetic_velocity

SNAP_FRACTION = 0.25  # a tracked beat moves onto a kinematic beat within this share of a beat
# The dancer's beat periods searched, seconds: 75 to 200 BPM (chosen by hand, around music's).
BEAT_PERIODS = (0.3, 0.8)
# Smoothing of the step envelope at 30 fps: light enough to keep a step every 0.3 s (Bailando's
# 5 frames, right for BAS, keeps 1 % of a 0.35 s salsa step's rhythm).
STEP_SMOOTHING_FRAMES = 1.5
# Metrical comb: a beat period is scored by the autocorrelation of the step envelope at one beat,
# two and four (half bar and bar), so that a dance whose bar is clearer than its beat (salsa's
# quick-quick-slow) is counted at its beat and not at half or double.
COMB = (1, 2, 4)
TEMPO_SPREAD_OCTAVES = 0.2  # the tempo prior's deviation around the comb's (librosa: 1 octave)


def step_envelope(joints: np.ndarray, fps: float) -> np.ndarray:
    """Where the body arrives at a stop: the drop of the lightly smoothed mean speed of all
    joints plus the feet joints, ``(T-1,)`` per frame, non-negative."""
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(axis=1)
    feet = np.linalg.norm(np.diff(joints[:, FOOT_JOINTS], axis=0), axis=-1).mean(axis=1)
    smooth = gaussian_filter1d((speed + feet) * fps, STEP_SMOOTHING_FRAMES * fps / 30.0)
    return np.maximum(0.0, -np.gradient(smooth))


def dance_beat_period(envelope: np.ndarray, fps: float) -> float:
    """The dancer's beat period in seconds: the period in ``BEAT_PERIODS`` whose ``COMB``
    multiples the envelope's autocorrelation supports most. A clip too short for its bar
    returns the middle of the range."""
    lags = int(max(COMB) * BEAT_PERIODS[1] * fps) + 2
    if len(envelope) <= lags or not envelope.any():
        return float(np.mean(BEAT_PERIODS))
    centred = envelope - envelope.mean()
    acf = np.correlate(centred, centred, mode="full")[len(centred) - 1 :][:lags]
    acf = acf / acf[0]
    periods = np.arange(BEAT_PERIODS[0], BEAT_PERIODS[1], 0.25 / fps)
    score = sum(np.interp(k * periods * fps, np.arange(lags), acf) for k in COMB)
    return float(periods[np.argmax(score)])


def motion_beats(motion: Motion, joints: np.ndarray | None = None) -> np.ndarray:
    """The beat grid of a dance: ``(k,)`` float64 seconds, increasing (may be empty).

    Its tempo is ``dance_beat_period`` of the step envelope (robust to half and double, the
    salsa's count of eight is its test); librosa's dynamic-programming tracker (Ellis 2007) at
    that tempo places the beats where the kinetic velocity bends upward, each then snapped onto
    the nearest kinematic beat (Bailando's, which BAS measures). Where the tracker finds too few
    beats (a spin has no stops), a regular
    grid at that tempo in the envelope's strongest phase.
    joints : its ``joint_positions()`` when the caller has them already.
    """
    joints = motion.joint_positions() if joints is None else joints
    fps = motion.fps
    period = dance_beat_period(step_envelope(joints, fps), fps)
    # Peaks where the kinetic velocity bends upward: sharp at stops, flat through glides. The
    # velocity's plain inverse peaks broadly, and the tracker then drifts off the stops.
    # ``benchmarks/retarget.py`` measures the result on the CMU captures.
    velocity = kinetic_velocity(joints)
    envelope = np.maximum(0.0, np.gradient(np.gradient(velocity)))
    # The tracker's own tempo estimate, held near the comb's: within a few percent the
    # envelope knows the dancer's tempo better, across octaves it does not.
    tempo = librosa.feature.tempo(
        onset_envelope=envelope, sr=fps, hop_length=1, start_bpm=60.0 / period,
        std_bpm=TEMPO_SPREAD_OCTAVES,
    )[0]  # fmt: skip
    _, frames = librosa.beat.beat_track(onset_envelope=envelope, sr=fps, hop_length=1, bpm=tempo)
    frames = np.asarray(frames, dtype=float)
    expected = len(envelope) / (period * fps)
    if len(frames) < 0.5 * expected and expected >= 2:
        step = period * fps
        phases = np.arange(int(step))
        strength = [envelope[np.arange(p, len(envelope), step).astype(int)].sum() for p in phases]
        frames = np.arange(phases[int(np.argmax(strength))], len(envelope), step)
    stops = kinematic_beats(joints)
    if len(frames) >= 2 and len(stops):
        reach = SNAP_FRACTION * period * fps
        nearest = stops[np.abs(stops[None, :] - frames[:, None]).argmin(axis=1)]
        frames = np.where(np.abs(nearest - frames) <= reach, nearest, frames)
    return np.unique(frames) / fps


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
