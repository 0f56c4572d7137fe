"""Loading songs into mono float32 at the analysis sample rate.

Decoding goes through libsndfile (``soundfile``: wav, ogg, flac, mp3) and resampling through
libsoxr (``soxr``, at librosa's default quality), so any channel count and sample rate is
accepted. Both ship binary wheels for every platform Blender runs on, so this also runs in
Blender's Python, where librosa is absent; ``librosa.load`` gives the same samples.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile
import soxr

from core.errors import AudioLoadError

SAMPLE_RATE = 22050  # Hz; DESIGN.md §4, librosa's default analysis rate
MIN_DURATION_S = 2.0  # shorter clips hold under one bar at common tempi
MAX_DURATION_S = 3600.0  # an hour: a bound on memory, far past any song
DECODE_BLOCK_FRAMES = 2**18  # frames decoded at a time: 6 s at 44.1 kHz
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


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Discard what native code writes to file descriptor 2 meanwhile: libmpg123 writes a
    "Note: ..." line there for every damaged frame it skips, which would reach the user
    beside the project's one line. Python's own ``sys.stderr`` is untouched."""
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 (a GUI process without a console)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _decoded_mono(path: Path, sr: int) -> np.ndarray:
    """The file's samples as ``mono_at`` makes them, decoded and resampled a block at a time,
    so that an hour of 44.1 kHz stereo never sits in memory whole (1.3 GB as float32). soxr's
    stream gives the very samples of its one-shot ``resample``."""
    with _native_stderr_silenced(), soundfile.SoundFile(str(path)) as song:
        stream = None
        if song.samplerate != sr:
            stream = soxr.ResampleStream(song.samplerate, sr, 1, "float32", quality="soxr_hq")
        parts = []
        while True:
            block = song.read(DECODE_BLOCK_FRAMES, dtype="float32", always_2d=True)
            last = len(block) < DECODE_BLOCK_FRAMES
            mono = block.mean(axis=1)
            parts.append(mono if stream is None else stream.resample_chunk(mono, last=last))
            if last:
                return np.concatenate(parts)


def load_audio(path: str | os.PathLike, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a song to mono at ``sr``.

    Returns ``(n,) float32`` samples in [-1, 1] at ``sr`` Hz (a float file whose samples go
    past full scale is scaled down to it).

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
        y = _decoded_mono(path, sr)
    except Exception as exc:  # a header can parse while the stream itself is corrupt
        raise AudioLoadError(f"{path.name}: cannot decode audio ({exc})") from exc
    if y.size == 0 or not np.all(np.isfinite(y)):
        raise AudioLoadError(f"{path.name}: decoded to no usable samples")
    if len(y) / sr < MIN_DURATION_S:  # a damaged file can hold less than its header says
        raise AudioLoadError(
            f"{path.name} decodes to {len(y) / sr:.1f} s of audio; a song needs at least "
            f"{MIN_DURATION_S:.0f} s"
        )
    peak = float(np.max(np.abs(y)))
    if peak < SILENCE_PEAK:
        raise AudioLoadError(f"{path.name} is silent")
    if peak > 1.0:  # a float file past full scale: brought to it, as every stage expects
        y = y / np.float32(peak)
    return y.astype(np.float32, copy=False)
