"""Everything the choreographer needs to know about a song, from one decode of its audio."""

from __future__ import annotations

import os
from dataclasses import dataclass

import librosa
import numpy as np

from core.audio import SAMPLE_RATE, load_audio
from core.beats import HOP_LENGTH, BeatTrack, track_beats


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


def analyze_song(path: str | os.PathLike) -> SongAnalysis:
    """Decode a song and find its beats, downbeats, tempo and loudness.

    Raises AudioLoadError (see ``core.audio.load_audio``) or BeatTrackingError.
    """
    return analyze_audio(load_audio(path))


def analyze_audio(y: np.ndarray) -> SongAnalysis:
    """``analyze_song`` of decoded samples: (n,) float32 mono at ``SAMPLE_RATE``."""
    rms = librosa.feature.rms(y=y, hop_length=HOP_LENGTH)[0]
    return SongAnalysis(
        duration=len(y) / SAMPLE_RATE,
        beat_track=track_beats(y, SAMPLE_RATE),
        loudness=rms,
        loudness_times=librosa.frames_to_time(
            np.arange(len(rms)), sr=SAMPLE_RATE, hop_length=HOP_LENGTH
        ),
    )
