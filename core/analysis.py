"""Everything the choreographer needs to know about a song, from one decode of its audio.

Runs on numpy alone with MotionBeat's tracker, as in Blender's Python; librosa is needed only
for librosa's tracker, the fallback.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from core.audio import SAMPLE_RATE, load_audio
from core.beat_tracker import track_beats_network
from core.beats import BeatTrack
from core.errors import BeatTrackingError

LOUDNESS_FRAME = 2048  # samples, librosa.feature.rms's defaults
LOUDNESS_HOP = 512
TRACKERS = ("motionbeat", "librosa")
DEFAULT_TRACKER = "motionbeat"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SongAnalysis:
    """duration : seconds
    beat_track : beats, downbeats and tempo
    loudness : (n,) float32 RMS amplitude, or None when only beats are known
    loudness_times : (n,) float64 seconds of the ``loudness`` frames
    """

    duration: float
    beat_track: BeatTrack
    loudness: np.ndarray | None = None
    loudness_times: np.ndarray | None = None


def find_beats(y: np.ndarray, tracker: str = DEFAULT_TRACKER) -> BeatTrack:
    """Beats, downbeats, time signature and tempo of decoded samples.

    y : (n,) float32 mono at ``SAMPLE_RATE``.
    tracker : "motionbeat" (``core.beat_tracker``: a network and a Viterbi decoder; 3/4 or 4/4)
        or "librosa" (``core.librosa_beats``: dynamic programming on the onset envelope; 4/4).
    MotionBeat's tracker falls back to librosa's, with a warning, when it finds no steady beat.
    Raises BeatTrackingError if neither finds one, ValueError for an unknown tracker.
    """
    if tracker not in TRACKERS:
        raise ValueError(f"unknown beat tracker {tracker!r}; choose from {TRACKERS}")
    if tracker == "motionbeat":
        try:
            return track_beats_network(y)
        except BeatTrackingError as exc:
            # A note for logs, not a line on stderr: the result (or the one error) follows.
            log.info("%s; trying librosa's beat tracker", exc)
    try:
        from core.librosa_beats import track_beats  # librosa is absent from Blender's Python
    except ImportError as exc:
        raise BeatTrackingError(f"librosa's beat tracker is not installed ({exc})") from exc
    return track_beats(y, SAMPLE_RATE)


def rms_loudness(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RMS amplitude of centred frames, as ``librosa.feature.rms(y=y)``: ((frames,) float32,
    (frames,) float64 seconds)."""
    half = LOUDNESS_FRAME // 2
    energy = np.concatenate([[0.0], np.cumsum(np.pad(y.astype(np.float64), half) ** 2)])
    starts = np.arange(1 + len(y) // LOUDNESS_HOP) * LOUDNESS_HOP
    mean_square = (energy[starts + LOUDNESS_FRAME] - energy[starts]) / LOUDNESS_FRAME
    rms = np.sqrt(np.maximum(mean_square, 0.0)).astype(np.float32)
    return rms, starts / SAMPLE_RATE


def analyze_song(path: str | os.PathLike, tracker: str = DEFAULT_TRACKER) -> SongAnalysis:
    """Decode a song and find its beats, downbeats, tempo and loudness.

    Raises AudioLoadError (see ``core.audio.load_audio``) or BeatTrackingError.
    """
    return analyze_audio(load_audio(path), tracker)


def analyze_audio(y: np.ndarray, tracker: str = DEFAULT_TRACKER) -> SongAnalysis:
    """``analyze_song`` of decoded samples: (n,) float32 mono at ``SAMPLE_RATE``."""
    rms, times = rms_loudness(y)
    return SongAnalysis(
        duration=len(y) / SAMPLE_RATE,
        beat_track=find_beats(y, tracker),
        loudness=rms,
        loudness_times=times,
    )
