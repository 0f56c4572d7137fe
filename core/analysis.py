"""Everything the choreographer needs to know about a song, from one decode of its audio.

Runs on numpy alone with MotionBeat's tracker, as in Blender's Python; librosa is needed only
for librosa's tracker, the fallback.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from core.audio.decode import SAMPLE_RATE, load_audio
from core.audio.spectrum import sound_level
from core.beats.beat_track import BeatTrack
from core.beats.network import track_beats_network
from core.errors import AudioLoadError, BeatTrackingError

TRACKERS = ("motionbeat", "librosa")
DEFAULT_TRACKER = "motionbeat"
# A frame is sound where its level (``sound_level``) reaches this share of the song's loud
# frames (the 95th percentile of those above SOUND_FLOOR): 40 dB below, quieter than any intro
# that is still music, far above dither and a reverb's tail (chosen by hand).
SOUND_BELOW_LOUD = 0.01
SOUND_FLOOR = 1e-4  # -80 dBFS, ``core.audio.decode.SILENCE_PEAK``
MIN_SOUND_S = 1.0  # a song holds at least this much sound (it is at least 2 s long)
# Silence at either end shorter than this belongs to the song (a breath before the first
# downbeat, a fade's last second): the dance keeps its usual grid there (chosen by hand).
CROPPED_SILENCE_S = 1.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SongAnalysis:
    """duration : seconds
    beat_track : beats, downbeats and tempo
    loudness : (n,) float32 RMS amplitude, or None when only beats are known
    loudness_times : (n,) float64 seconds of the ``loudness`` frames
    music_start, music_end : seconds, where the music starts and stops (``audible_span``); the
        dance holds still outside them; (0, duration) when the song has no silence to crop
    """

    duration: float
    beat_track: BeatTrack
    loudness: np.ndarray | None = None
    loudness_times: np.ndarray | None = None
    music_start: float = 0.0
    music_end: float | None = None

    @property
    def music(self) -> tuple[float, float]:
        """(start, end) seconds of the music."""
        return self.music_start, self.duration if self.music_end is None else self.music_end

    def dance_times(self, fps: float) -> np.ndarray:
        """(ceil(duration * fps),) float64 seconds: the moment of the music each frame of a
        dance shows, its own time held at the music's start and end, so the dancer stands
        still in the silence before and after."""
        return np.clip(np.arange(int(np.ceil(self.duration * fps))) / fps, *self.music)


def find_beats(y: np.ndarray, tracker: str = DEFAULT_TRACKER) -> BeatTrack:
    """Beats, downbeats, time signature and tempo of decoded samples.

    y : (n,) float32 mono at ``SAMPLE_RATE``.
    tracker : "motionbeat" (``core.beats.network``: a network and a Viterbi decoder; 3/4 or 4/4)
        or "librosa" (``core.beats.librosa_tracker``: dynamic programming on the onset envelope;
        4/4).
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
        from core.beats.librosa_tracker import (
            track_beats,  # librosa is absent from Blender's Python
        )
    except ImportError as exc:
        raise BeatTrackingError(f"librosa's beat tracker is not installed ({exc})") from exc
    return track_beats(y, SAMPLE_RATE)


def analyze_song(path: str | os.PathLike, tracker: str = DEFAULT_TRACKER) -> SongAnalysis:
    """Decode a song and find its beats, downbeats, tempo and loudness.

    Raises AudioLoadError (see ``core.audio.decode.load_audio``) or BeatTrackingError.
    """
    return analyze_audio(load_audio(path), tracker)


def audible_span(level: np.ndarray, times: np.ndarray, duration: float) -> tuple[float, float]:
    """Where the music starts and stops, seconds: the first and last frame of sound (see
    ``SOUND_BELOW_LOUD``), or the file's ends where the silence there is shorter than
    ``CROPPED_SILENCE_S``. level, times : ``sound_level`` of a song ``duration`` s long.

    Raises AudioLoadError if no frame holds sound (digital silence, a constant level).
    """
    audible = level[level >= SOUND_FLOOR]
    # Under a second of it is no music: a constant level steps from the zero padding at the
    # file's ends, a few frames of "sound" either side.
    if len(audible) * (times[1] - times[0]) < MIN_SOUND_S:
        raise AudioLoadError("the song holds no sound: only silence or a constant level")
    loud = float(np.percentile(audible, 95))  # of the audible frames: a short song in silence
    sound = np.flatnonzero(level >= max(SOUND_FLOOR, SOUND_BELOW_LOUD * loud))
    start, end = float(times[sound[0]]), float(times[sound[-1]])
    return (
        start if start >= CROPPED_SILENCE_S else 0.0,
        end if duration - end >= CROPPED_SILENCE_S else duration,
    )


def analyze_audio(y: np.ndarray, tracker: str = DEFAULT_TRACKER) -> SongAnalysis:
    """``analyze_song`` of decoded samples: (n,) float32 mono at ``SAMPLE_RATE``. The beats
    are those of the music: none in its silence before and after (``audible_span``).

    Raises AudioLoadError if the samples hold no sound, BeatTrackingError if the music holds
    fewer than two beats.
    """
    rms, level, times = sound_level(y, SAMPLE_RATE)
    duration = len(y) / SAMPLE_RATE
    start, end = audible_span(level, times, duration)
    return SongAnalysis(
        duration=duration,
        beat_track=find_beats(y, tracker).within(start, end),
        loudness=rms,
        loudness_times=times,
        music_start=start,
        music_end=end,
    )
