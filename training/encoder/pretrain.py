"""Pretrain the MotionBeat encoders with ECL + SRAL.

    python -m training.encoder.pretrain --out runs/NAME [--config train.toml] [--resume]
        [--device auto]
    torchrun --nproc_per_node=N -m training.encoder.pretrain --out runs/NAME ...  (several GPUs)

(``python -m training.pretrain`` still works.)

The story of one run: read the config (a TOML file with [train] and [model] tables over the
defaults below), seed everything, featurise the paired data (cached), build the model, then for
each step draw a batch, compute L = ECL + sral_weight * SRAL + aux_weight * (onset and contact
head losses), clip gradients, step AdamW on a warmup-then-cosine schedule. Every
``checkpoint_every`` steps the whole state (model, optimizer, schedule, RNG, config) is written
atomically to OUT/checkpoint.pt; ``--resume`` continues from it bit for bit, because batches
are drawn from a generator seeded by (seed, step) and the torch RNG state is restored. A loss
that is not finite stops the run with the step and the batch named. Losses go to TensorBoard
(OUT/tensorboard) and a progress bar.

Under torchrun each process takes its share of every batch and DistributedDataParallel averages
the gradients; contrastive negatives come from the process's own share.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from core.errors import MotionBeatError, report_error
from core.model.checkpoint import resolve_device, save_checkpoint
from core.model.config import MotionBeatConfig
from core.model.network import MotionBeat
from training.encoder.losses import embodied_contrastive_loss, structural_rhythm_alignment_loss
from training.encoder.pairs.files import file_pair, file_pair_sources
from training.encoder.pairs.pseudo import pseudo_pair, pseudo_pair_sources
from training.encoder.pairs.synthetic import synthetic_clip
from training.encoder.pairs.tang2018 import fitted_motions, split_names, tang2018_clip
from training.encoder.windows import Windows, cached_windows
from training.runs import (
    TrainingError,
    config_from_toml,
    is_main,
    run_checkpoint,
    start_run,
)


@dataclass
class TrainConfig:
    steps: int = 2000
    batch_size: int = 32
    learning_rate: float = 3e-4
    weight_decay: float = 0.05
    warmup_steps: int = 100
    grad_clip: float = 1.0
    sral_weight: float = 0.5
    extra_negatives: bool = True  # ECL's tempo-aware and beat-jitter negatives
    aux_weight: float = 1.0
    checkpoint_every: int = 200
    log_every: int = 10
    seed: int = 0
    data: str = "synthetic"  # or "tang2018" (research use only), "pseudo" (CMU capture), "files"
    motion_dir: str = ""  # data = "files": AIST++ .pkl, AMASS .npz or BVH motion files
    music_dir: str = ""  # data = "files": their music, by file name or AIST++ music ID
    synthetic_clips: int = 400
    validation_clips: int = 40
    window_bars: int = 4
    cache_dir: str = ".cache/motionbeat"
    amp: bool = True  # bfloat16 autocast, on CUDA only
    model: dict = field(default_factory=dict)  # MotionBeatConfig fields to override

    @classmethod
    def from_toml(cls, path: Path | None) -> TrainConfig:
        return config_from_toml(cls, path, MotionBeatConfig)


def training_windows(
    config: TrainConfig, model_config: MotionBeatConfig
) -> tuple[Windows, Windows]:
    """Train and validation windows of the configured data.

    synthetic: the validation windows are the last ``validation_clips`` clips;
    tang2018: train on its training pairs, validate on its test pairs (splits.json);
    pseudo: CMU capture warped onto game music, validated on held-out takes;
    files: the user's motion and music folders (training/encoder/pairs/files.py).
    """
    cache = Path(config.cache_dir) if config.cache_dir else None
    if config.data == "synthetic":
        total = config.synthetic_clips + config.validation_clips
        sources = {
            f"synthetic-{config.seed}-{i}-{config.window_bars}": (
                lambda i=i: synthetic_clip(i, config.seed, model_config, config.window_bars)
            )
            for i in range(total)
        }
        n_train = config.synthetic_clips
    elif config.data == "tang2018":
        train_names, test_names = split_names("train"), split_names("test")
        motions = fitted_motions(train_names + test_names, Path(config.cache_dir or ".cache"))
        sources = {
            f"tang2018-{n}": (lambda n=n: tang2018_clip(n, motions[n], model_config))
            for n in train_names + test_names
        }
        n_train = len(train_names)
    elif config.data == "pseudo":
        train_pairs, held_out = pseudo_pair_sources()
        sources = {
            f"pseudo-{c.stem}-{s.stem}": (lambda c=c, s=s: pseudo_pair(c, s, model_config))
            for c, s in train_pairs + held_out
        }
        n_train = len(train_pairs)
    elif config.data == "files":
        train_pairs, held_out = file_pair_sources(Path(config.motion_dir), Path(config.music_dir))
        sources = {
            # The path keys the cache: two folders may hold files of the same name.
            f"files-{m.resolve()}-{s.resolve()}": (lambda m=m, s=s: file_pair(m, s, model_config))
            for m, s in train_pairs + held_out
        }
        n_train = len(train_pairs)
    else:
        raise TrainingError(f"unknown data '{config.data}': synthetic, tang2018, pseudo or files")
    parts = []
    for index, (name, make_clip) in enumerate(
        tqdm(sources.items(), desc="featurising", leave=False, disable=not is_main())
    ):
        windows = cached_windows(name, make_clip, model_config, config.window_bars, cache)
        windows.clip_index[:] = index
        parts.append(windows)
    every = Windows.concatenate(parts)
    validation = every.clip_index >= n_train
    return every.subset(np.flatnonzero(~validation)), every.subset(np.flatnonzero(validation))


def to_tensors(windows: Windows, device: torch.device) -> dict[str, torch.Tensor]:
    return {
        f.name: torch.from_numpy(np.asarray(getattr(windows, f.name))).to(device).float()
        for f in fields(Windows)
        if f.name != "clip_index"
    }


def training_losses(
    model: MotionBeat,
    batch: dict[str, torch.Tensor],
    config: TrainConfig,
) -> dict[str, torch.Tensor]:
    """Every loss term for one batch; ``total`` is the one to minimise."""
    b, n = batch["bar_phase"].shape
    padding = torch.zeros(b, n, dtype=torch.bool, device=batch["mel"].device)
    phase = batch["bar_phase"]
    audio = model.encode_audio(batch["mel"], phase, padding)
    motion = model.encode_motion(batch["motion"], batch["contact"], phase, padding)
    motion_negatives = audio_negatives = None
    if config.extra_negatives:
        k = batch["jitter_motion"].shape[1]
        motion_negatives = (
            model.encode_motion(
                batch["jitter_motion"].flatten(0, 1),
                batch["jitter_contact"].flatten(0, 1),
                phase.repeat_interleave(k, 0),
                padding.repeat_interleave(k, 0),
            )
            .clip.view(b, k, -1)
            .float()
        )
        t = batch["stretched_mel"].shape[1]
        audio_negatives = (
            model.encode_audio(
                batch["stretched_mel"].flatten(0, 1),
                phase.repeat_interleave(t, 0),
                padding.repeat_interleave(t, 0),
            )
            .clip.view(b, t, -1)
            .float()
        )
    ecl = embodied_contrastive_loss(
        audio.clip.float(),
        motion.clip.float(),
        model.logit_scale,
        motion_negatives=motion_negatives,
        audio_negatives=audio_negatives,
    )
    sral = structural_rhythm_alignment_loss(
        torch.sigmoid(audio.pulse.float()),
        torch.sigmoid(motion.pulse.float()),
        model.config.beats_per_bar,
    )
    heads = F.binary_cross_entropy_with_logits(audio.pulse.float(), batch["onset"]) + (
        F.binary_cross_entropy_with_logits(motion.pulse.float(), batch["contact"])
    )
    total = ecl + config.sral_weight * sral + config.aux_weight * heads
    return {"total": total, "ecl": ecl, "sral": sral, "heads": heads}


class Objective(torch.nn.Module):
    """The model and its losses in one forward, so DistributedDataParallel can wrap it whole
    (it synchronises gradients only for what runs through its own forward)."""

    def __init__(self, model: MotionBeat, config: TrainConfig):
        super().__init__()
        self.model = model
        self.config = config

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return training_losses(self.model, batch, self.config)


def batch_indices(config: TrainConfig, step: int, n_windows: int) -> np.ndarray:
    """The batch of a step: drawn from (seed, step) alone, so a resumed run draws the same."""
    rng = np.random.default_rng([config.seed, step])
    return rng.choice(n_windows, size=min(config.batch_size, n_windows), replace=False)


def train(
    config: TrainConfig,
    out: Path,
    resume: bool = False,
    device_name: str = "auto",
    stop_at: int | None = None,
) -> dict:
    """Run (or resume) training; returns the last step's losses as floats.

    stop_at : stop after this step, checkpointed, to be continued with ``resume`` (time-limited
    or preemptible jobs); the schedule still runs to ``config.steps``.
    """
    last = min(config.steps, stop_at) if stop_at is not None else config.steps
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = resolve_device(device_name)
    if distributed and device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    torch.manual_seed(config.seed)
    model_config = MotionBeatConfig.from_dict({**MotionBeatConfig().to_dict(), **config.model})

    train_windows, _ = training_windows(config, model_config)
    model = MotionBeat(model_config).to(device)
    checkpoint_path = out / "checkpoint.pt"
    optimizer, schedule, state = start_run(
        checkpoint_path, resume, device, model_config, model, config
    )
    start = 0
    if state is not None:
        torch.set_rng_state(state["torch_rng"].cpu())
        start = int(state["step"])
    objective = Objective(model, config)
    wrapped = DistributedDataParallel(objective) if distributed else objective
    writer = None
    if is_main():
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(out / "tensorboard"))
    use_amp = config.amp and device.type == "cuda"

    losses: dict[str, torch.Tensor] = {}
    progress = tqdm(
        range(start, last),
        initial=start,
        total=config.steps,
        desc="pretraining",
        disable=not is_main(),
    )
    started = time.perf_counter()
    for step in progress:
        indices = batch_indices(config, step, len(train_windows))[rank::world]
        batch = to_tensors(train_windows.subset(indices), device)
        model.train()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            losses = wrapped(batch)
        if not torch.isfinite(losses["total"]):
            terms = ", ".join(f"{k} {v.item():.4g}" for k, v in losses.items())
            raise TrainingError(
                f"loss is not finite at step {step} ({terms}); batch windows {indices.tolist()}"
            )
        optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        schedule.step()
        done = step + 1
        if writer is not None and (done % config.log_every == 0 or done == last):
            for name, value in losses.items():
                writer.add_scalar(f"loss/{name}", value.item(), done)
            elapsed = max(time.perf_counter() - started, 1e-9)
            writer.add_scalar(
                "clips_per_second", (done - start) * config.batch_size / elapsed, done
            )
            progress.set_postfix(loss=f"{losses['total'].item():.3f}")
        if is_main() and (done % config.checkpoint_every == 0 or done == last):
            checkpoint = run_checkpoint(
                model_config, model, optimizer, schedule, done, config,
                torch_rng=torch.get_rng_state(),
            )  # fmt: skip
            save_checkpoint(checkpoint_path, checkpoint)
    if writer is not None:
        writer.close()
    return {k: v.item() for k, v in losses.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="run folder: checkpoint, logs")
    parser.add_argument("--config", type=Path, help="TOML file with [train] and [model] tables")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--stop-at", type=int, help="stop after this step (checkpointed)")
    args = parser.parse_args(argv)
    try:
        config = TrainConfig.from_toml(args.config)
        final = train(config, args.out, args.resume, args.device, args.stop_at)
    except (MotionBeatError, OSError, KeyboardInterrupt) as exc:
        return report_error("pretrain", exc)
    if is_main():
        print("final losses: " + ", ".join(f"{k} {v:.4f}" for k, v in final.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
