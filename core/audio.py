"""Loading songs into mono float32 at the analysis sample rate.

Decoding goes through libsndfile (``soundfile``: wav, ogg, flac, mp3) and resampling through
libsoxr (``soxr``, at librosa's default quality), so any channel count and sample rate is
accepted. Both ship binary wheels for every platform Blender runs on, so this also runs in
Blender's Python, where librosa is absent; ``librosa.load`` gives the same samples.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile
import soxr

from core.errors import AudioLoadError

SAMPLE_RATE = 22050  # Hz; DESIGN.md §4, librosa's default analysis rate
MIN_DURATION_S = 2.0  # shorter clips hold under one bar at common tempi
MAX_DURATION_S = 3600.0  # an hour: a bound on memory, far past any song
SILENCE_PEAK = 1e-4  # peak amplitude below which a song counts as silent (-80 dBFS)


def audio_duration(path: str | os.PathLike) -> float:
    """Duration of an audio file in seconds, read from its header without decoding.

    Raises AudioLoadError if the path is missing, a directory, empty, unreadable or not audio.
    """
    path = Path(path)
    if not path.exists():
        raise AudioLoadError(f"{path}: no such file")
    if path.is_dir():
        raise AudioLoadError(f"{path}: is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioLoadError(f"{path.name} is 0 bytes")
    if not os.access(path, os.R_OK):
        raise AudioLoadError(f"{path}: permission denied")
    try:
        info = soundfile.info(str(path))
    except Exception as exc:  # libsndfile raises its own error type for every decode fault
        raise AudioLoadError(f"{path.name}: not a readable audio file ({exc})") from exc
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioLoadError(f"{path.name}: holds no audio samples")
    return info.frames / info.samplerate


def mono_at(samples: np.ndarray, rate: int, sr: int) -> np.ndarray:
    """Decoded ``(n, channels)`` samples at ``rate`` Hz as ``(m,)`` mono at ``sr`` Hz, as
    ``librosa.load`` makes them: the mean of the channels, resampled by soxr at "soxr_hq"."""
    y = samples.mean(axis=1)
    return y if rate == sr else soxr.resample(y, rate, sr, quality="soxr_hq")


def load_audio(path: str | os.PathLike, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a song to mono at ``sr``.

    Returns ``(n,) float32`` samples in [-1, 1] at ``sr`` Hz.

    Raises AudioLoadError if the file is missing, a directory, empty, unreadable, corrupt,
    shorter than ``MIN_DURATION_S`` (2 s), longer than ``MAX_DURATION_S`` (1 h) or silent.
    """
    path = Path(path)
    duration = audio_duration(path)
    if duration < MIN_DURATION_S:
        raise AudioLoadError(
            f"{path.name} is {duration:.1f} s long; a song needs at least {MIN_DURATION_S:.0f} s"
        )
    if duration > MAX_DURATION_S:
        raise AudioLoadError(
            f"{path.name} is {duration / 60:.0f} min long; the limit is "
            f"{MAX_DURATION_S / 60:.0f} min"
        )
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # a header can parse while the stream itself is corrupt
        raise AudioLoadError(f"{path.name}: cannot decode audio ({exc})") from exc
    y = mono_at(samples, rate, sr)
    del samples
    if y.size == 0 or not np.all(np.isfinite(y)):
        raise AudioLoadError(f"{path.name}: decoded to no usable samples")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioLoadError(f"{path.name} is silent")
    return y.astype(np.float32, copy=False)
