"""The embedded demo song, synthesised by the project (no third-party audio is shipped).

A 4/4 groove: kick on beats 1 and 3, snare on 2 and 4, eighth-note hi-hats, a crash on each
downbeat, a bass line and chords that change every bar (A minor, F, C, G).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile

from core.atomic import atomic_write

DEMO_BPM = 120.0
DEMO_BARS = 12
SAMPLE_RATE = 22050
CHORDS_HZ = (  # root, third, fifth
    (110.00, 130.81, 164.81),  # A minor
    (87.31, 110.00, 130.81),  # F major
    (130.81, 164.81, 196.00),  # C major
    (98.00, 123.47, 146.83),  # G major
)


def decay(n: int, seconds: float, sr: int) -> np.ndarray:
    """An exponential decay envelope of n samples, time constant ``seconds``."""
    return np.exp(-np.arange(n) / (seconds * sr))


def kick(sr: int) -> np.ndarray:
    """A synthesised kick drum: a sine sweeping from 120 to 45 Hz, 0.35 s."""
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    frequency = 45.0 + 75.0 * np.exp(-t / 0.04)  # pitch sweep 120 -> 45 Hz
    return np.sin(2 * np.pi * np.cumsum(frequency) / sr) * decay(n, 0.12, sr)


def noise_hit(
    rng: np.random.Generator, seconds: float, time_constant: float, sr: int
) -> np.ndarray:
    """A burst of white noise (snare, hi-hat, crash) decaying with ``time_constant`` seconds."""
    n = int(seconds * sr)
    return rng.standard_normal(n) * decay(n, time_constant, sr)


def place(track: np.ndarray, sound: np.ndarray, at_s: float, gain: float, sr: int) -> None:
    """Mix ``sound`` into ``track`` at ``at_s`` seconds, cut at the track's end."""
    start = int(round(at_s * sr))
    end = min(len(track), start + len(sound))
    track[start:end] += gain * sound[: end - start]


def synthesize_demo_song(
    bpm: float = DEMO_BPM, bars: int = DEMO_BARS, sr: int = SAMPLE_RATE, seed: int = 0
) -> np.ndarray:
    """The demo song as ``(n,) float32`` mono samples at ``sr`` Hz, peak 0.9.

    Its beats fall at ``k * 60 / bpm`` seconds and its downbeats every fourth beat from 0 s.
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    track = np.zeros(int((bars * 4 + 2) * beat * sr))
    t = np.arange(len(track)) / sr
    kick_drum, snare_tone = kick(sr), np.sin(2 * np.pi * 180.0 * np.arange(int(0.1 * sr)) / sr)
    for bar in range(bars):
        root, third, fifth = CHORDS_HZ[bar % len(CHORDS_HZ)]
        bar_start = bar * 4 * beat
        place(track, noise_hit(rng, 1.2, 0.4, sr), bar_start, 0.15, sr)  # crash
        in_bar = (t >= bar_start) & (t < bar_start + 4 * beat)
        pad = sum(np.sin(2 * np.pi * 2 * f * t[in_bar]) for f in (root, third, fifth))
        track[in_bar] += 0.06 * pad
        for b in range(4):
            at = bar_start + b * beat
            if b in (0, 2):
                place(track, kick_drum, at, 0.9, sr)
            else:
                place(track, noise_hit(rng, 0.2, 0.05, sr), at, 0.35, sr)
                place(track, snare_tone * decay(len(snare_tone), 0.04, sr), at, 0.3, sr)
            for eighth in (0.0, 0.5):
                hat = np.diff(noise_hit(rng, 0.05, 0.01, sr), prepend=0.0)  # high-passed
                place(track, hat, at + eighth * beat, 0.12, sr)
            n = int(0.9 * beat * sr)
            bass = np.sign(np.sin(2 * np.pi * root / 2 * np.arange(n) / sr)) * decay(n, 0.3, sr)
            place(track, bass, at, 0.12, sr)
    return (0.9 * track / np.max(np.abs(track))).astype(np.float32)


def write_demo_song(path: str | os.PathLike) -> Path:
    """Write the demo song as a 16-bit WAV file, atomically (a full disk leaves an existing
    file as it was), and return its path."""
    path = Path(path)
    with atomic_write(path) as fh:
        soundfile.write(fh, synthesize_demo_song(), SAMPLE_RATE, subtype="PCM_16", format="WAV")
    return path
