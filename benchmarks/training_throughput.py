"""Pretraining throughput of the default model configuration.

    python benchmarks/training_throughput.py [--device auto|cpu|cuda] [--steps 30]

Builds (or reads from the cache) the default config's synthetic training windows, timed apart,
then times STEPS optimisation steps of the embedded model's configuration
(``training/configs/default.toml``) and prints steps/s and clips/s. Writes only to a temporary
folder and the feature cache.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.model.checkpoint import resolve_device  # noqa: E402
from core.model.config import MotionBeatConfig  # noqa: E402
from training.encoder.pretrain import TrainConfig, train, training_windows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    config = TrainConfig.from_toml(ROOT / "training" / "configs" / "default.toml")
    config = replace(config, steps=args.steps, checkpoint_every=args.steps, warmup_steps=1)
    device = resolve_device(args.device)

    start = time.perf_counter()
    model_config = MotionBeatConfig.from_dict({**MotionBeatConfig().to_dict(), **config.model})
    windows, _ = training_windows(config, model_config)
    print(f"training windows: {len(windows)} ready in {time.perf_counter() - start:.1f} s")

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        train(config, Path(out), device_name=args.device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"{name} ({torch.get_num_threads()} threads): {args.steps} steps of batch "
        f"{config.batch_size} in {seconds:.1f} s = {args.steps / seconds:.2f} steps/s, "
        f"{args.steps * config.batch_size / seconds:.0f} clips/s"
    )


if __name__ == "__main__":
    main()
