"""The MotionBeat music encoder in numpy alone, for Python without torch (Blender's).

The same computation as ``MotionBeat.encode_audio`` (``core.model.network``): beat tokens
embedded with their bar-phase harmonics, pre-norm transformer blocks whose queries and keys are
rotated by bar phase and token index, a final layer norm, attention pooling and the projection
to unit embeddings. Weights are the torch model's, exported as plain arrays (``export_audio``)
into an ``.npz`` read with ``allow_pickle=False``. ``tests/test_numpy_encoder.py`` holds the two
to 1e-4 relative difference.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from core.errors import ModelFileError
from core.model.config import MotionBeatConfig
from core.weights import WEIGHTS

DEFAULT_AUDIO_MODEL = WEIGHTS / "motionbeat_default_audio.npz"
ATTENTION_BLOCK = 512  # queries per block of attention scores (a 4-minute song is one block)
LAYER_NORM_EPSILON = 1e-5  # torch.nn.LayerNorm's default
PREFIXES = ("audio_encoder.", "audio_pool.", "audio_projection.")


def audio_arrays(state_dict: dict) -> dict[str, np.ndarray]:
    """The music encoder's weights of a torch state dict, as the export holds them (float16)."""
    return {
        name: value.detach().cpu().numpy().astype(np.float16)
        for name, value in state_dict.items()
        if name.startswith(PREFIXES)
    }


def model_id(config: MotionBeatConfig, arrays: dict[str, np.ndarray]) -> str:
    """Which music encoder this is: a SHA-256 (16 hex digits) of its config and its float16
    weights (``audio_arrays``), the same for a checkpoint and for its numpy export. Libraries
    record it, so that a music embedding is only ever compared with motion embeddings of the
    same model (two models' embedding spaces are unrelated)."""
    digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode())
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name], dtype=np.float16).tobytes())
    return digest.hexdigest()[:16]


def _erf(x: np.ndarray) -> np.ndarray:
    """Error function, Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7)."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))  # torch's exact GELU


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + LAYER_NORM_EPSILON) * weight + bias


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)  # F.normalize


class NumpyAudioEncoder:
    """The music encoder of a MotionBeat checkpoint, exported by ``export_audio``.

    Raises ModelFileError if the file is missing or not such an export.
    """

    def __init__(self, path: str | os.PathLike = DEFAULT_AUDIO_MODEL):
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                self.config = MotionBeatConfig.from_dict(json.loads(str(data["config"])))
                stored = {k: data[k] for k in data.files if k != "config"}
        except (OSError, KeyError, ValueError) as exc:
            raise ModelFileError(f"{path.name}: not an exported music encoder ({exc})") from exc
        self.model_id = model_id(self.config, stored)
        self.weights = {k: v.astype(np.float32) for k, v in stored.items()}

    def _linear(self, name: str, x: np.ndarray) -> np.ndarray:
        return x @ self.weights[f"{name}.weight"].T + self.weights[f"{name}.bias"]

    def _angles(self, bar_phase: np.ndarray) -> np.ndarray:
        """(N, pairs) rotation angles, as ``core.model.phase_rotation.rotation_angles``."""
        config = self.config
        pairs = config.width // config.heads // 2
        n_phase = pairs // 2
        harmonics = np.array([config.harmonics[i % len(config.harmonics)] for i in range(n_phase)])
        phase = bar_phase if config.phase_rotation else np.zeros_like(bar_phase)
        phase_angles = 2 * math.pi * phase[:, None] * harmonics
        n_index = pairs - n_phase
        frequencies = config.index_base ** (-np.arange(n_index) / max(n_index, 1))
        index_angles = np.arange(len(bar_phase))[:, None] * frequencies
        return np.concatenate([phase_angles, index_angles], axis=1)

    def _attention(self, prefix: str, x: np.ndarray, angles: np.ndarray) -> np.ndarray:
        n, width = x.shape
        heads = self.config.heads
        q, k, v = self._linear(f"{prefix}.qkv", x).reshape(n, 3, heads, -1).transpose(1, 2, 0, 3)
        cos, sin = np.cos(angles)[None], np.sin(angles)[None]

        def rotate(t: np.ndarray) -> np.ndarray:
            even, odd = t[..., 0::2], t[..., 1::2]
            return np.stack([even * cos - odd * sin, even * sin + odd * cos], -1).reshape(t.shape)

        q, k = rotate(q), rotate(k)
        keys, scale = k.transpose(0, 2, 1), math.sqrt(q.shape[-1])
        out = np.empty_like(q)  # (heads, n, d)
        # Exact attention, ATTENTION_BLOCK queries at a time: the scores of an hour-long song
        # at once, (heads, n, n), would take gigabytes; a block's take heads * 512 * n.
        for first in range(0, n, ATTENTION_BLOCK):
            rows = slice(first, first + ATTENTION_BLOCK)
            scores = q[:, rows] @ keys / scale
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            out[:, rows] = (scores / scores.sum(axis=-1, keepdims=True)) @ v
        return self._linear(f"{prefix}.out", out.transpose(1, 0, 2).reshape(n, width))

    def _project(self, x: np.ndarray) -> np.ndarray:
        hidden = _gelu(self._linear("audio_projection.0", x))
        return self._linear("audio_projection.2", hidden)

    def encode(self, mel: np.ndarray, bar_phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Clip embedding ``(E,)`` and beat embeddings ``(N, E)``, unit length, float32.

        mel : (N, S, n_mels) beat tokens of one song (``core.model.tokens.audio_tokens``);
        bar_phase : (N,) in [0, 1).
        """
        config = self.config
        k = np.array(config.harmonics, dtype=np.float64)
        angles = 2 * math.pi * bar_phase[:, None] * k
        phase = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
        x = self._linear("audio_encoder.embed", mel.reshape(len(mel), -1))
        x = x + self._linear("audio_encoder.phase_embed", phase)
        rotation = self._angles(bar_phase.astype(np.float64))
        for layer in range(config.audio_layers):
            p = f"audio_encoder.blocks.{layer}"
            normed = _layer_norm(
                x, self.weights[f"{p}.norm1.weight"], self.weights[f"{p}.norm1.bias"]
            )
            x = x + self._attention(f"{p}.attention", normed, rotation)
            normed = _layer_norm(
                x, self.weights[f"{p}.norm2.weight"], self.weights[f"{p}.norm2.bias"]
            )
            x = x + self._linear(f"{p}.mlp.2", _gelu(self._linear(f"{p}.mlp.0", normed)))
        hidden = _layer_norm(
            x, self.weights["audio_encoder.norm.weight"], self.weights["audio_encoder.norm.bias"]
        )
        scores = self._linear("audio_pool.key", hidden) @ self.weights["audio_pool.query"]
        scores = scores / math.sqrt(hidden.shape[-1])
        weights = np.exp(scores - scores.max())
        pooled = (weights / weights.sum()) @ hidden
        clip = _unit(self._project(pooled))
        beats = _unit(self._project(hidden))
        return clip.astype(np.float32), beats.astype(np.float32)


@functools.cache
def default_audio_encoder() -> NumpyAudioEncoder:
    """The shipped music encoder, loaded once per process."""
    return NumpyAudioEncoder()
