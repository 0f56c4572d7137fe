"""Export a training checkpoint as an embedded model: a torch ``.pt`` (config and weights in
float16) or the numpy music encoder ``.npz`` that Blender's add-on and ``--encoder`` take.

    python -m training.export runs/NAME/checkpoint.pt [--out MODEL.pt]
    python -m training.export runs/NAME/checkpoint.pt --out ENCODER.npz
    python -m training.export --untrained --out ENCODER.npz   # random weights, for baselines

The default --out is core/weights/motionbeat_default.pt. Half precision halves the file
(the default model is about 3 MB); ``core.model.checkpoint.load_model`` loads it into float32
parameters. The optimizer and RNG states stay behind. A numpy export keeps the music encoder
only (``export_audio``); libraries embedded by the same checkpoint's motion encoder
(``motionbeat library build --model CHECKPOINT``) go with it. The beat tracker's numpy file is
written here too (``export_beat_net``, by ``training.beats.train``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

from core.atomic import atomic_write
from core.errors import MotionBeatError, report_error
from core.model.checkpoint import DEFAULT_MODEL, read_checkpoint, save_checkpoint
from core.model.config import MotionBeatConfig
from core.model.network import MotionBeat
from core.model.numpy_encoder import audio_arrays
from training.beats.network import BeatTCN

UNTRAINED_SEED = 0  # the untrained baseline's weights: torch's default initialisation, seeded


def _write_model(config: dict, arrays: dict[str, np.ndarray], path: str | os.PathLike) -> Path:
    """A numpy model file: its config as JSON beside its arrays, compressed, written atomically."""
    path = Path(path)
    with atomic_write(path) as fh:
        np.savez_compressed(fh, config=np.array(json.dumps(config)), **arrays)
    return path


def export_audio(state_dict: dict, config: MotionBeatConfig, path: str | os.PathLike) -> Path:
    """Write the music encoder's weights (float16) and config to an ``.npz``."""
    return _write_model(config.to_dict(), audio_arrays(state_dict), path)


def export_beat_net(model: BeatTCN, path: str | os.PathLike) -> Path:
    """Write the network's weights and config to an ``.npz`` for ``core.beats.network.BeatNet``."""
    arrays = {name: value.detach().cpu().numpy() for name, value in model.state_dict().items()}
    return _write_model(model.config.to_dict(), arrays, path)


def export(checkpoint: Path, out: Path = DEFAULT_MODEL) -> Path:
    """Write ``checkpoint``'s model to ``out``: ``.pt`` (torch, float16) or ``.npz`` (the numpy
    music encoder). Raises ModelFileError if the checkpoint cannot be read."""
    state = read_checkpoint(checkpoint)
    if out.suffix == ".npz":
        return export_audio(state["model"], MotionBeatConfig.from_dict(state["config"]), out)
    weights = {k: v.half() if v.is_floating_point() else v for k, v in state["model"].items()}
    return save_checkpoint(
        out,
        {
            "config": state["config"],
            "model": weights,
            "step": state.get("step", 0),
            "train_config": state.get("train_config", {}),
        },
    )


def export_untrained(out: Path) -> Path:
    """The default configuration's music encoder with untrained (seeded random) weights, as
    a numpy ``.npz``: the random-encoder baseline."""
    torch.manual_seed(UNTRAINED_SEED)
    config = MotionBeatConfig()
    return export_audio(MotionBeat(config).state_dict(), config, out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path, nargs="?")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL, help="MODEL.pt or ENCODER.npz")
    parser.add_argument("--untrained", action="store_true", help="random weights (.npz only)")
    args = parser.parse_args()
    if args.untrained == (args.checkpoint is not None):
        parser.error("give a checkpoint or --untrained")
    if args.untrained and args.out.suffix != ".npz":
        parser.error("--untrained writes a numpy encoder: --out ENCODER.npz")
    try:
        path = export_untrained(args.out) if args.untrained else export(args.checkpoint, args.out)
    except (MotionBeatError, OSError, KeyboardInterrupt) as exc:
        return report_error("export", exc)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
