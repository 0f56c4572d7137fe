"""Ablations: the full model against each mechanism taken away, trained and scored alike.

    python -m training.encoder.ablate --config training/configs/default.toml --steps 600 --out DIR

Trains each variant for ``--steps`` steps from the same config and seed, then scores all of them
on the same held-out synthetic pairs (``training.encoder.evaluate``) and prints one table.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from core.errors import MotionBeatError, report_error
from core.model.checkpoint import load_model, resolve_device
from training.encoder.evaluate import evaluate, markdown_table
from training.encoder.pretrain import TrainConfig, train, training_windows

VARIANTS: dict[str, dict] = {
    "full": {},
    "without phase rotation": {"model": {"phase_rotation": False}},
    "without contact guidance": {"model": {"contact_guidance": False}},
    "without extra negatives": {"extra_negatives": False},
    "without SRAL": {"sral_weight": 0.0},
}


def variant(base: TrainConfig, change: dict, steps: int) -> TrainConfig:
    settings = {k: v for k, v in change.items() if k != "model"}
    model = {**base.model, **change.get("model", {})}
    return replace(base, steps=steps, checkpoint_every=steps, model=model, **settings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="the training TOML the variants start from")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = parser.parse_args()
    try:
        base = TrainConfig.from_toml(args.config)
        device = resolve_device(args.device)
        rows = {}
        for name, change in VARIANTS.items():
            config = variant(base, change, args.steps)
            run = args.out / name.replace(" ", "_")
            train(config, run, device_name=device.type)
            model = load_model(run / "checkpoint.pt", device)
            _, validation = training_windows(config, model.config)
            rows[name] = evaluate(model, validation, device)
    except (MotionBeatError, OSError, KeyboardInterrupt) as exc:
        return report_error("ablate", exc)
    print(f"{args.steps} steps each, seed {base.seed}")
    print(markdown_table("variant", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
