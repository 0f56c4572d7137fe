"""Export a training checkpoint as an embedded model: config and weights only, in float16.

    python -m training.export runs/NAME/checkpoint.pt [--out MODEL.pt]

The default --out is core/model/weights/motionbeat_default.pt. Half precision halves the file
(the default model is about 3 MB); ``core.model.load_model`` loads it into float32 parameters.
The optimizer and RNG states stay behind.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.model.checkpoint import DEFAULT_MODEL, read_checkpoint, save_checkpoint


def export(checkpoint: Path, out: Path = DEFAULT_MODEL) -> Path:
    state = read_checkpoint(checkpoint)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    path = export(args.checkpoint, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
