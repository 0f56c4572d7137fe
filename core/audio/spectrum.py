"""Short-time spectra, mel filterbanks, decibels and RMS loudness in numpy alone.

Each function computes what the named librosa function computes (``tests/test_spectrum.py``
holds them equal), so that the music front ends run in Python without librosa, which is
Blender's: librosa needs numba and llvmlite, which an extension cannot carry for every
platform.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

BLOCK_FRAMES = 4096  # STFT frames per block: bounds memory on long songs

# Slaney's mel scale (Auditory Toolbox), librosa's default: linear to 1 kHz, logarithmic above.
_LINEAR_HZ_PER_MEL = 200.0 / 3
_LOG_START_HZ = 1000.0
_LOG_START_MEL = _LOG_START_HZ / _LINEAR_HZ_PER_MEL
_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """``librosa.hz_to_mel(hz, htk=False)``."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _LINEAR_HZ_PER_MEL
    logarithmic = _LOG_START_MEL + np.log(np.maximum(hz, 1e-10) / _LOG_START_HZ) / _LOG_STEP
    return np.where(hz >= _LOG_START_HZ, logarithmic, linear)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """``librosa.mel_to_hz(mel, htk=False)``."""
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _LINEAR_HZ_PER_MEL
    logarithmic = _LOG_START_HZ * np.exp(_LOG_STEP * (mel - _LOG_START_MEL))
    return np.where(mel >= _LOG_START_MEL, logarithmic, linear)


@functools.cache
def mel_filterbank(
    sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """``librosa.filters.mel`` (Slaney scale and area normalisation): (n_mels, n_fft // 2 + 1)
    float32 triangular weights. Read-only: it is cached and shared."""
    fmax = sr / 2.0 if fmax is None else fmax
    fft_hz = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]  # equal area per band
    weights = weights.astype(np.float32)
    weights.flags.writeable = False
    return weights


def stft_magnitude(
    y: np.ndarray, n_fft: int, hop_length: int, block_frames: int = BLOCK_FRAMES
) -> Iterator[tuple[int, np.ndarray]]:
    """``np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length))``, transposed and a block
    of frames at a time: yields ``(first frame, (frames, n_fft // 2 + 1) float32)``.

    Frames are centred (frame t at ``t * hop_length`` samples, zero padding at the ends) and
    windowed by a periodic Hann window, as librosa's defaults are. The whole complex STFT of a
    30-minute song would take over a gigabyte; a block takes tens of megabytes.
    """
    windows = sliding_window_view(np.pad(y, n_fft // 2), n_fft)[::hop_length]
    hann = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    for start in range(0, len(windows), block_frames):
        block = windows[start : start + block_frames] * hann
        yield start, np.abs(np.fft.rfft(block, axis=1)).astype(np.float32)


def n_frames(n_samples: int, hop_length: int) -> int:
    """Frames ``stft_magnitude`` gives for ``n_samples``: ``1 + n_samples // hop_length``."""
    return 1 + n_samples // hop_length


def power_to_db(power: np.ndarray, top_db: float | None = 80.0) -> np.ndarray:
    """``librosa.power_to_db(power, ref=np.max, top_db=top_db)``: decibels below the peak,
    floored ``top_db`` under it."""
    db = 10.0 * np.log10(np.maximum(power, 1e-10))
    db -= 10.0 * np.log10(max(float(power.max()), 1e-10))
    return db if top_db is None else np.maximum(db, db.max() - top_db)


def mel_spectrogram(
    y: np.ndarray,
    sr: int,
    n_fft: int,
    hop_length: int,
    n_mels: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    power: float = 2.0,
) -> np.ndarray:
    """``librosa.feature.melspectrogram(y=y, ...)`` transposed: (frames, n_mels) float32, of the
    STFT magnitude raised to ``power`` (2: power, 1: magnitude)."""
    filterbank = mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    mel = np.empty((n_frames(len(y), hop_length), n_mels), dtype=np.float32)
    for start, magnitude in stft_magnitude(y, n_fft, hop_length):
        mel[start : start + len(magnitude)] = (magnitude**power) @ filterbank.T
    return mel


def onset_strength(db: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """``librosa.onset.onset_strength`` of a (frames, bands) dB spectrogram: the mean over bands
    of each frame's rise from the frame before, delayed as librosa centres it. (frames,) float32.
    """
    rise = np.maximum(np.diff(db, axis=0), 0.0).mean(axis=1)
    delay = 1 + n_fft // (2 * hop_length)
    envelope = np.zeros(len(db), dtype=np.float32)
    envelope[delay:] = rise[: max(0, len(db) - delay)]
    return envelope


LOUDNESS_FRAME = 2048  # samples, librosa.feature.rms's defaults
LOUDNESS_HOP = 512


def _frame_moments(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The means of ``y`` (n,) and of its square over centred frames of ``LOUDNESS_FRAME``
    samples every ``LOUDNESS_HOP``, zero-padded as librosa pads: ((frames,) float64 twice,
    frame start samples). Summed a hop at a time and a block of hops at a time, so that an
    hour of samples never takes float64 copies of itself (a cumulative sum would: 1.3 GB)."""
    hops_per_frame = LOUDNESS_FRAME // LOUDNESS_HOP
    n_frames = 1 + len(y) // LOUDNESS_HOP
    n_hops = n_frames + hops_per_frame - 1
    # Hop k holds padded samples [k * hop, (k + 1) * hop), that is y from k * hop - half.
    padded = np.concatenate(
        [np.zeros(LOUDNESS_FRAME // 2, y.dtype), y, np.zeros(LOUDNESS_FRAME, y.dtype)]
    )[: n_hops * LOUDNESS_HOP].reshape(n_hops, LOUDNESS_HOP)
    sums, squares = np.empty(n_hops), np.empty(n_hops)
    for first in range(0, n_hops, BLOCK_FRAMES):
        block = padded[first : first + BLOCK_FRAMES].astype(np.float64)
        sums[first : first + len(block)] = block.sum(axis=1)
        squares[first : first + len(block)] = np.square(block).sum(axis=1)
    frame_sum = sliding_window_view(sums, hops_per_frame).sum(axis=1)
    frame_square = sliding_window_view(squares, hops_per_frame).sum(axis=1)
    starts = np.arange(n_frames) * LOUDNESS_HOP
    return frame_sum / LOUDNESS_FRAME, frame_square / LOUDNESS_FRAME, starts


def sound_level(y: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RMS amplitude of centred frames, as ``librosa.feature.rms(y=y)``, and the same without
    each frame's mean: the RMS of what varies, so that a constant (DC) level counts as no
    sound. One pass over the samples gives both. y : (n,) mono at ``sr`` Hz. Returns
    ((frames,) float32 RMS, (frames,) float64 level, (frames,) seconds)."""
    mean, mean_square, starts = _frame_moments(y)
    rms = np.sqrt(np.maximum(mean_square, 0.0)).astype(np.float32)
    return rms, np.sqrt(np.maximum(mean_square - mean**2, 0.0)), starts / sr
