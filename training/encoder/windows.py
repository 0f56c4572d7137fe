"""Paired music and motion, cut into windows of whole bars, featurised once and cached.

Every source yields ``PairedClip``s (audio samples, SMPL joint positions and foot contacts on
the music's beat grid). ``featurize`` turns one into token windows with their negatives:
- the motion re-tokenised on the beat grid shifted by -1, -1/2, +1/2 and +1 beat (beat-jitter
  negatives for ECL), bar phases still the music's;
- the music time-stretched by 0.8 and 1.25 and tokenised on the original grid (tempo-aware
  negatives), done on the log-mel frames by reading them at a scaled frame rate.
Windows are cached as ``.npz`` (float16) under a key of the source clip and the model config, so
an epoch never redoes audio analysis.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from core.atomic import atomic_write
from core.beats.beat_track import regular_bar_phase
from core.model.config import MotionBeatConfig
from core.model.tokens import (
    audio_frames,
    audio_tokens,
    beat_synchronous,
    motion_tokens,
    onset_tokens,
)

JITTER_BEATS = (-1.0, -0.5, 0.5, 1.0)
TEMPO_FACTORS = (0.8, 1.25)


@dataclass
class PairedClip:
    """One piece of paired music and dance.

    name : unique and stable (it keys the cache)
    audio : (n,) float32 mono at the config's sample rate
    joints : (T, 24, 3) metres, Y-up; contacts : (T, 4); fps : frames per second
    beat_times : (K,) seconds, increasing; first_downbeat_index : index into it of a downbeat
    """

    name: str
    audio: np.ndarray
    joints: np.ndarray
    contacts: np.ndarray
    fps: float
    beat_times: np.ndarray
    first_downbeat_index: int


@dataclass
class Windows:
    """Token windows of whole bars, stacked (W windows of N beats, S steps each).

    mel (W, N, S, audio_features: log-mel, or the baseline's librosa features); onset (W, N, S);
    motion (W, N, S, F); contact (W, N, S); bar_phase (W, N); jitter_motion (W, 4, N, S, F);
    jitter_contact (W, 4, N, S);
    stretched_mel (W, 2, N, S, audio_features); clip_index (W,) which PairedClip each came from.
    """

    mel: np.ndarray
    onset: np.ndarray
    motion: np.ndarray
    contact: np.ndarray
    bar_phase: np.ndarray
    jitter_motion: np.ndarray
    jitter_contact: np.ndarray
    stretched_mel: np.ndarray
    clip_index: np.ndarray

    def __len__(self) -> int:
        return len(self.mel)

    @classmethod
    def concatenate(cls, parts: list[Windows]) -> Windows:
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def subset(self, index: np.ndarray) -> Windows:
        return Windows(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def featurize(clip: PairedClip, config: MotionBeatConfig, window_bars: int) -> Windows:
    """Token windows of ``window_bars`` bars, one starting at every downbeat with room for it."""
    beats = clip.beat_times
    period = float(np.median(np.diff(beats)))
    bar = config.beats_per_bar
    frames = audio_frames(clip.audio, config)
    phase = regular_bar_phase(len(beats) - 1, clip.first_downbeat_index, bar)
    music = audio_tokens(clip.audio, beats, phase, config, frames)
    dance = motion_tokens(
        clip.joints, clip.contacts, clip.fps, beats, clip.first_downbeat_index, config
    )
    jittered = [
        motion_tokens(
            clip.joints,
            clip.contacts,
            clip.fps,
            beats + shift * period,
            clip.first_downbeat_index,
            config,
        )
        for shift in JITTER_BEATS
    ]
    rate = config.sample_rate / config.hop_length
    stretched = [
        beat_synchronous(frames, rate * f, beats, config.sub_beat_steps) for f in TEMPO_FACTORS
    ]

    n = window_bars * bar
    first = clip.first_downbeat_index % bar
    starts = range(first, len(music.mel) - n + 1, bar)

    def cut(array: np.ndarray, axis: int = 0) -> np.ndarray:
        if not starts:  # a clip shorter than one window gives none
            shape = list(array.shape)
            shape[axis] = n
            return np.zeros((0, *shape), dtype=array.dtype)
        return np.stack([np.take(array, range(s, s + n), axis=axis) for s in starts])

    half = lambda a: a.astype(np.float16)  # noqa: E731 - the cache holds half precision
    return Windows(
        mel=half(cut(music.mel)),
        onset=half(cut(onset_tokens(clip.audio, beats, config))),
        motion=half(cut(dance.features)),
        contact=half(cut(dance.contact_pulse)),
        bar_phase=cut(music.bar_phase),
        jitter_motion=half(cut(np.stack([j.features for j in jittered]), axis=1)),
        jitter_contact=half(cut(np.stack([j.contact_pulse for j in jittered]), axis=1)),
        stretched_mel=half(cut(np.stack(stretched), axis=1)),
        clip_index=np.zeros(len(starts), dtype=np.int64),
    )


def cache_key(name: str, config: MotionBeatConfig, window_bars: int) -> str:
    settings = json.dumps([name, config.token_settings(), window_bars, JITTER_BEATS, TEMPO_FACTORS])
    return hashlib.sha256(settings.encode()).hexdigest()[:24]


def cached_windows(
    clip_name: str, make_clip, config: MotionBeatConfig, window_bars: int, cache_dir: Path | None
) -> Windows:
    """Windows of a clip from the cache, or ``make_clip()`` featurised and cached."""
    path = cache_dir / f"{cache_key(clip_name, config, window_bars)}.npz" if cache_dir else None
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return Windows(**{f.name: data[f.name] for f in fields(Windows)})
    windows = featurize(make_clip(), config, window_bars)
    if path is not None:
        with atomic_write(path) as fh:
            np.savez(fh, **{f.name: getattr(windows, f.name) for f in fields(Windows)})
    return windows
