"""The result of beat tracking, whichever tracker found it.

Two trackers give it: MotionBeat's own (``core.beat_tracker``: a network on log-mel frames and
a Viterbi decoder; 3/4 or 4/4, with confidence) and librosa's (``core.librosa_beats``: dynamic
programming on the onset envelope, with a downbeat heuristic; 4/4). ``core.analysis.find_beats``
chooses between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BeatTrack:
    """Beat analysis of one song.

    tempo_bpm : float, beats per minute (median beat period)
    beats : (n,) float64, seconds, increasing
    downbeats : (m,) float64, seconds, a subset of ``beats`` every ``beats_per_bar`` beats
    beats_per_bar : int
    confidence : float in [0, 1] from trackers that give one (MotionBeat's), else None
    tracker : name of the tracker that found the beats: "motionbeat" or "librosa"
    """

    tempo_bpm: float
    beats: np.ndarray
    downbeats: np.ndarray
    beats_per_bar: int
    confidence: float | None = None
    tracker: str = "librosa"

    @property
    def first_downbeat_index(self) -> int:
        """Index into ``beats`` of the first downbeat."""
        return int(np.argmin(np.abs(self.beats - self.downbeats[0])))

    @property
    def tempo_curve(self) -> np.ndarray:
        """Local tempo: (n - 1, 2) float64 rows of (beat time in seconds, BPM since the beat
        before)."""
        return np.stack([self.beats[1:], 60.0 / np.diff(self.beats)], axis=1)


def median_tempo(beats: np.ndarray) -> float:
    """Tempo in BPM from the median inter-beat interval of ``beats`` (seconds, increasing)."""
    return 60.0 / float(np.median(np.diff(beats)))


def peak_near(curve: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """The highest value of a frame-wise ``curve`` within one frame of each of ``frames`` (beat
    frames, quantised): (len(frames),)."""
    window = np.stack([np.clip(frames + d, 0, len(curve) - 1) for d in (-1, 0, 1)])
    return curve[window].max(axis=0)
