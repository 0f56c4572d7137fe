"""Saving and loading MotionBeat checkpoints.

A checkpoint is a dict of tensors and plain values: ``config`` (``MotionBeatConfig.to_dict``),
``model`` (the state dict) and whatever training adds (optimizer, step, RNG states). It is
written atomically (a crash mid-write leaves the previous file) and read with
``torch.load(weights_only=True)``, which refuses pickled code.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from core.atomic import atomic_write
from core.errors import ModelFileError, MotionBeatError
from core.model.config import MotionBeatConfig
from core.model.network import MotionBeat
from core.weights import WEIGHTS

DEFAULT_MODEL = WEIGHTS / "motionbeat_default.pt"


def save_checkpoint(path: str | os.PathLike, checkpoint: dict) -> Path:
    """Write ``checkpoint`` to ``path`` atomically: to a sibling file, then renamed over."""
    with atomic_write(path) as fh:
        torch.save(checkpoint, fh)
    return Path(path)


def read_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict:
    """The checkpoint dict at ``path``, loaded with ``weights_only=True``.

    Raises ModelFileError if the file is missing, truncated, holds pickled code or is not a
    MotionBeat checkpoint (no ``config`` and ``model``).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for truncated or unsafe files
        # Not torch's own text: it runs to many lines and advises weights_only=False, which
        # would run whatever code an unsafe file carries.
        raise ModelFileError(
            f"{path.name}: not a loadable checkpoint: truncated, or holding objects other than "
            f"tensors ({type(exc).__name__})"
        ) from exc
    if not isinstance(checkpoint, dict) or not {"config", "model"} <= checkpoint.keys():
        raise ModelFileError(f"{path.name}: not a MotionBeat checkpoint (no config and model)")
    return checkpoint


def load_model(
    path: str | os.PathLike = DEFAULT_MODEL, device: str | torch.device = "cpu"
) -> MotionBeat:
    """A MotionBeat model rebuilt from its checkpoint alone, in eval mode on ``device``.

    Raises ModelFileError as ``read_checkpoint`` does, or when the weights do not fit the config.
    """
    checkpoint = read_checkpoint(path, device)
    try:
        model = MotionBeat(MotionBeatConfig.from_dict(checkpoint["config"]))
        model.load_state_dict(checkpoint["model"])
    except (TypeError, ValueError, RuntimeError) as exc:
        # torch lists every mismatched tensor on lines of their own: the first one says enough.
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = lines[1] if len(lines) > 1 else lines[0] if lines else type(exc).__name__
        raise ModelFileError(
            f"{Path(path).name}: weights do not match its config ({detail})"
        ) from exc
    return model.to(device).eval()


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` is CUDA when present, else the CPU; ``cpu`` and ``cuda`` are taken as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise MotionBeatError("--device cuda was asked for, but no CUDA device is available")
    return torch.device(name)
