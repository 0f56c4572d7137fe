"""MotionBeat's beat and downbeat tracker, in numpy alone.

A temporal convolutional network (Davies and Böck, "Temporal convolutional networks for musical
audio beat tracking", EUSIPCO 2019) reads log-mel magnitudes and their positive differences
(spectral flux per band) at 50 frames per second and gives frame-wise beat and downbeat
activations; ``core.beats.decoder`` turns them into beat times, downbeats and a time signature.
The network is trained in torch (``training/beats/network.py``, ``training/beats/train.py``) and
exported to plain arrays in an ``.npz`` read with ``allow_pickle=False``; this module runs it
with numpy alone (``core.audio.spectrum`` for the front end), where torch and librosa are absent
(Blender's Python).
"""

from __future__ import annotations

import functools
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.audio.decode import SAMPLE_RATE
from core.audio.spectrum import mel_spectrogram
from core.beats.beat_track import BeatTrack
from core.beats.decoder import (
    MAX_BPM,
    MIN_BPM,
    BeatStateSpace,
    bar_novelty,
    beat_strengths,
    decode_bars,
    decode_beats,
)
from core.config_dict import DictConfig
from core.errors import BeatTrackingError, ModelFileError
from core.weights import WEIGHTS

DEFAULT_BEAT_MODEL = WEIGHTS / "beat_tracker.npz"
LAYERS = ("dilated", "mix")  # the convolutions of each residual block
CONV_BLOCK = 2**15  # frames per block of a convolution: 655 s at 50 fps, so most songs are one
LOG_FLOOR = 1e-2  # added to mel magnitudes before the log: 53 to 65 dB below a full-scale sine


@dataclass(frozen=True)
class BeatNetConfig(DictConfig):
    """Front end and network shape of the beat tracker; stored in its checkpoint and export.

    sample_rate : Hz of the input audio
    hop_length : samples between frames (441 at 22.05 kHz: 50 fps)
    n_fft : STFT window, samples
    n_mels, fmin, fmax : mel bands and their range, Hz
    channels : TCN width
    kernel_size : taps of each dilated convolution
    dilations : one residual block per dilation; the receptive field is
        ``1 + (kernel_size - 1) * sum(dilations)`` frames (41 s by default)
    dropout : training-time dropout after each convolution
    """

    sample_rate: int = 22050
    hop_length: int = 441
    n_fft: int = 2048
    n_mels: int = 64
    fmin: float = 30.0
    fmax: float = 11025.0
    channels: int = 20
    kernel_size: int = 5
    dilations: tuple[int, ...] = field(default=(1, 2, 4, 8, 16, 32, 64, 128, 256))
    dropout: float = 0.15

    @property
    def fps(self) -> float:
        return self.sample_rate / self.hop_length

    @property
    def n_features(self) -> int:
        return 2 * self.n_mels

    @property
    def beat_intervals(self) -> np.ndarray:
        """(K,) int frames: the tempo head's classes, the beat decoder's intervals."""
        return BeatStateSpace.for_tempi(self.fps, MIN_BPM, MAX_BPM).intervals


def log_mel_flux(y: np.ndarray, config: BeatNetConfig) -> np.ndarray:
    """The tracker's input: (T, 2 * n_mels) float32 at ``config.fps``, frame t at t / fps s.

    y : (n,) float32 mono at ``config.sample_rate``.
    Columns: log mel magnitude (librosa's STFT and mel filterbank, ``core.audio.spectrum``) less its
    mean over the song, so that gain does not matter; then its positive frame-to-frame
    difference, the spectral flux per band.
    """
    magnitude = mel_spectrogram(
        y, config.sample_rate, config.n_fft, config.hop_length, config.n_mels,
        config.fmin, config.fmax, power=1.0,
    )  # fmt: skip
    log_mel = np.log(magnitude + LOG_FLOOR)
    log_mel -= log_mel.mean()
    flux = np.maximum(np.diff(log_mel, axis=0, prepend=log_mel[:1]), 0.0)
    return np.concatenate([log_mel, flux], axis=1)


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def _conv1d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, dilation: int = 1) -> np.ndarray:
    """torch.nn.Conv1d with 'same' zero padding on (T, C_in) input; weight (C_out, C_in, K).

    One matrix product over the K shifted copies of the input side by side (im2col): BLAS
    takes one large product with a contiguous weight far faster than K small ones with a
    strided weight slice each (the network stage of ``benchmarks/beat_tracker.py``).
    """
    c_out, c_in, taps = weight.shape
    pad = (taps // 2) * dilation
    padded = np.pad(x, ((pad, pad), (0, 0)))
    kernel = weight.transpose(2, 1, 0).reshape(taps * c_in, c_out)
    out = np.empty((len(x), c_out), dtype=np.result_type(x, weight))
    # CONV_BLOCK frames at a time: the shifted copies of an hour's frames would take a GB.
    for a in range(0, len(x), CONV_BLOCK):
        b = min(a + CONV_BLOCK, len(x))
        shifted = np.concatenate(
            [padded[a + j * dilation : b + j * dilation] for j in range(taps)], 1
        )
        out[a:b] = shifted @ kernel + bias
    return out


def _load_export(path: Path) -> tuple[BeatNetConfig, dict[str, np.ndarray]]:
    """The config and float32 weights of one ``training.export.export_beat_net`` file.

    Raises ModelFileError if ``path`` is missing, not a beat-tracker export, or lacks a weight
    its config needs.
    """
    if not path.is_file():
        raise ModelFileError(f"beat tracker weights not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            config = BeatNetConfig.from_dict(json.loads(str(archive["config"])))
            weights = {
                name: archive[name].astype(np.float32) for name in archive.files if name != "config"
            }
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path.name}: not a MotionBeat beat-tracker file ({exc})") from exc
    blocks = range(len(config.dilations))
    layers = ["front", "head", "tempo", *(f"blocks.{i}.{part}" for i in blocks for part in LAYERS)]
    expected = [f"{layer}.{kind}" for layer in layers for kind in ("weight", "bias")]
    missing = [name for name in expected if name not in weights]
    if missing:
        raise ModelFileError(f"{path.name}: lacks weights {missing[:3]} for its config")
    if len(weights["tempo.bias"]) != len(config.beat_intervals):
        raise ModelFileError(f"{path.name}: its tempo head is not over the decoder's tempi")
    return config, weights


class BeatNet:
    """The exported tracker network, evaluated in numpy.

    Given several exports (runs of one config from different seeds), it averages their
    activations and tempo distributions, as madmom averages the eight networks of its tracker
    (Böck, Krebs and Widmer, ISMIR 2016); ``training.beats.evaluate`` scores such averages.
    Without paths, the shipped ``DEFAULT_BEAT_MODEL``.
    Raises ModelFileError if a path is missing or not a beat-tracker export, or if the exports'
    configs differ.
    """

    def __init__(self, *paths: str | os.PathLike):
        loaded = [_load_export(Path(path)) for path in paths or (DEFAULT_BEAT_MODEL,)]
        self.config = loaded[0][0]
        if any(config != self.config for config, _ in loaded):
            raise ModelFileError("the beat-tracker exports to average have different configs")
        self.members = [weights for _, weights in loaded]

    def activations(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Beat and downbeat activations, (T, 2) float32 in [0, 1] at ``config.fps``, and the
        song's tempo as (K,) float32 probabilities over ``config.beat_intervals``; the means
        over the members.

        y : (n,) float32 mono at ``config.sample_rate``.
        """
        return self.activations_of(log_mel_flux(y, self.config))

    def activations_of(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``activations`` of a song's ``log_mel_flux`` features (T, 2 * n_mels)."""
        outputs = [self._member_activations(w, features) for w in self.members]
        return (
            np.mean([activation for activation, _ in outputs], axis=0),
            np.mean([tempo for _, tempo in outputs], axis=0),
        )

    def _member_activations(
        self, w: dict[str, np.ndarray], features: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        x = _elu(_conv1d(features, w["front.weight"], w["front.bias"]))
        for i, dilation in enumerate(self.config.dilations):
            h = _elu(
                _conv1d(x, w[f"blocks.{i}.dilated.weight"], w[f"blocks.{i}.dilated.bias"], dilation)
            )
            x = x + _conv1d(h, w[f"blocks.{i}.mix.weight"], w[f"blocks.{i}.mix.bias"])
        logits = _conv1d(x, w["head.weight"], w["head.bias"])
        tempo_logits = w["tempo.weight"] @ x.mean(axis=0) + w["tempo.bias"]
        tempo = np.exp(tempo_logits - tempo_logits.max())
        return (
            (1.0 / (1.0 + np.exp(-logits))).astype(np.float32),
            (tempo / tempo.sum()).astype(np.float32),
        )


@functools.cache
def default_beat_net() -> BeatNet:
    """The shipped tracker, loaded once per process."""
    return BeatNet()


def track_beats_network(y: np.ndarray, net: BeatNet | None = None) -> BeatTrack:
    """Beats, downbeats, time signature (3/4 or 4/4), tempo and confidence of a song.

    y : (n,) float32 mono at ``SAMPLE_RATE`` (22.05 kHz), as songs are decoded.
    ``confidence`` is the mean beat activation at the decoded beats, in [0, 1].
    Raises BeatTrackingError if fewer than two beats are found, ModelFileError if the network
    reads another sample rate.
    """
    net = net or default_beat_net()
    if net.config.sample_rate != SAMPLE_RATE:  # its frames would be timed wrongly
        raise ModelFileError(
            f"the beat tracker reads {net.config.sample_rate} Hz audio; songs are decoded at "
            f"{SAMPLE_RATE} Hz"
        )
    fps = net.config.fps
    features = log_mel_flux(y, net.config)
    activation, tempo = net.activations_of(features)
    beats = decode_beats(activation[:, 0], fps, tempo_probabilities=tempo)
    if len(beats) < 2:
        raise BeatTrackingError("no steady beat found in the song")
    novelty = bar_novelty(features[:, : net.config.n_mels], fps, beats)
    beats_per_bar, downbeats = decode_bars(beats, activation[:, 1], fps, novelty=novelty)
    return BeatTrack(
        beats,
        beats_per_bar,
        int(downbeats[0]),
        tracker="motionbeat",
        confidence=float(beat_strengths(activation[:, 0], fps, beats).mean()),
        accents=beat_strengths(features[:, net.config.n_mels :].sum(axis=1), fps, beats).astype(
            np.float64
        ),
        downbeat_indices=downbeats,
    )
