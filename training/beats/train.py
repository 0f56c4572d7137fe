"""Train the beat and downbeat tracker.

    python -m training.beats.train --out runs/beats [--config training/configs/beats.toml]
        [--seed N] [--resume] [--device auto]

The story of one run, with the conventions of ``training.encoder.pretrain``: read the config (TOML,
[train] and [model] tables over the defaults), make or load the cached examples
(``training.beats.data``), then for each step draw random crops from (seed, step), compute the
binary cross-entropy of beat and downbeat logits against targets widened to the neighbouring
frames (weight 0.5, as Böck et al. do) plus the tempo head's cross-entropy against the crop's
median beat interval, widened to the neighbouring intervals (Böck, Davies and Knees 2019), and
step AdamW on a warmup-then-cosine schedule. The whole state is checkpointed atomically to
OUT/checkpoint.pt every ``checkpoint_every`` steps and ``--resume`` continues from it; losses
and the validation loss (beats and downbeats) go to TensorBoard. At the end the network is
exported to OUT/beat_tracker.npz for ``core.beats.network.BeatNet``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from core.beats.network import BeatNetConfig
from core.errors import MotionBeatError, report_error
from core.model.checkpoint import resolve_device, save_checkpoint
from training.beats.data import Example, beat_examples
from training.beats.network import BeatTCN
from training.export import export_beat_net
from training.runs import (
    TrainingError,
    config_from_toml,
    run_checkpoint,
    start_run,
)

NEIGHBOUR_WEIGHT = 0.5  # target of the frames either side of a beat
TEMPO_SPREAD = (0.25, 0.5, 1.0, 0.5, 0.25)  # tempo target around the labelled interval


@dataclass
class BeatTrainConfig:
    steps: int = 3000
    batch_size: int = 16
    crop_frames: int = 1500  # 30 s at 50 fps
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    checkpoint_every: int = 250
    log_every: int = 25
    validate_every: int = 250
    seed: int = 0
    workers: int = 2  # processes rendering MIDI on the first run
    max_stretch: float = 1.25  # crops are time-stretched by 1/1.25 .. 1.25
    max_band_shift: int = 3  # mel bands
    downbeat_weight: float = 1.0  # of the downbeat loss against the beat loss
    tempo_weight: float = 0.5  # of the tempo head's loss against the beat loss
    max_tilt: float = 1.0  # log-magnitude added to the highest band, taken from the lowest
    model: dict = field(default_factory=dict)  # BeatNetConfig fields to override

    @classmethod
    def from_toml(cls, path: Path | None) -> BeatTrainConfig:
        return config_from_toml(cls, path, BeatNetConfig)


def frame_targets(times: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """(n_frames,) float32: 1 at each labelled frame, ``NEIGHBOUR_WEIGHT`` either side."""
    target = np.zeros(n_frames, dtype=np.float32)
    frames = np.round(np.asarray(times) * fps).astype(np.int64)
    for offset, weight in ((-1, NEIGHBOUR_WEIGHT), (1, NEIGHBOUR_WEIGHT), (0, 1.0)):
        shifted = frames + offset
        shifted = shifted[(shifted >= 0) & (shifted < n_frames)]
        target[shifted] = np.maximum(target[shifted], weight)
    return target


def tempo_target(beats: np.ndarray, fps: float, intervals: np.ndarray) -> np.ndarray:
    """(K,) float32 distribution over ``intervals`` (frames) peaking at the median interval of
    ``beats`` (seconds) and spread to its neighbours; all zeros if fewer than three beats or
    a median outside the intervals."""
    target = np.zeros(len(intervals), dtype=np.float32)
    if len(beats) < 3:
        return target
    centre = int(np.round(np.median(np.diff(beats)) * fps)) - int(intervals[0])
    if not 0 <= centre < len(intervals):
        return target
    half = len(TEMPO_SPREAD) // 2
    for offset, weight in enumerate(TEMPO_SPREAD, start=-half):
        if 0 <= centre + offset < len(intervals):
            target[centre + offset] = weight
    return target / target.sum()


def song_targets(example: Example, fps: float) -> np.ndarray:
    """(T, 2) float32 beat and downbeat targets of a whole example."""
    n = len(example.features)
    return np.stack(
        [frame_targets(example.beats, n, fps), frame_targets(example.downbeats, n, fps)], axis=1
    )


def shift_bands(features: np.ndarray, shift: int, n_mels: int) -> np.ndarray:
    """Move every mel band ``shift`` bands up (down if negative), repeating the edge band: on
    the mel scale, roughly a transposition."""
    source = np.clip(np.arange(n_mels) - shift, 0, n_mels - 1)
    return np.concatenate([features[:, source], features[:, n_mels + source]], axis=1)


class Crops:
    """Training examples drawn as fixed-length crops, augmented on the fly: time-stretched
    (the labels move with the frames), transposed by a few mel bands, and given a random
    spectral tilt; the variety that a few dozen songs lack (Böck et al. 2016 stretch and shift
    their training audio the same way)."""

    def __init__(self, examples: list[Example], config: BeatTrainConfig, net: BeatNetConfig):
        self.examples = examples
        self.config = config
        self.fps = net.fps
        self.intervals = net.beat_intervals
        lengths = np.array([len(e.features) for e in examples], dtype=np.float64)
        self.weights = lengths / lengths.sum()  # every frame equally likely

    def crop(self, rng: np.random.Generator, example: Example, frames: int):
        """One augmented crop: (features (n, F), targets (n, 2), tempo target (K,)),
        n <= frames."""
        config = self.config
        stretch = float(np.exp(rng.uniform(-1.0, 1.0) * np.log(config.max_stretch)))
        length = len(example.features)
        start = float(rng.integers(max(1, length - int(frames * stretch) + 1)))
        positions = start + np.arange(frames) * stretch  # source frame of each output frame
        positions = positions[positions <= length - 1]
        below = np.floor(positions).astype(np.int64)
        above = np.minimum(below + 1, length - 1)
        weight = (positions - below)[:, None].astype(np.float32)
        source = example.features
        x = source[below].astype(np.float32) * (1 - weight) + source[above] * weight
        n_mels = x.shape[1] // 2
        x = shift_bands(
            x, int(rng.integers(-config.max_band_shift, config.max_band_shift + 1)), n_mels
        )
        x[:, :n_mels] += rng.uniform(-1.0, 1.0) * config.max_tilt * np.linspace(-1, 1, n_mels)
        n = len(positions)

        def moved(times: np.ndarray) -> np.ndarray:  # label times on the crop's clock, seconds
            return (np.asarray(times) * self.fps - start) / stretch / self.fps

        beats, downbeats = moved(example.beats), moved(example.downbeats)
        y = np.stack([frame_targets(beats, n, self.fps), frame_targets(downbeats, n, self.fps)], 1)
        in_crop = beats[(beats >= 0) & (beats < n / self.fps)]
        return x, y, tempo_target(in_crop, self.fps, self.intervals)

    def batch(self, rng: np.random.Generator, size: int, frames: int):
        """(features (B, frames, F), targets (B, frames, 2), mask (B, frames), tempo targets
        (B, K)) tensors."""
        n_features = self.examples[0].features.shape[1]
        x = np.zeros((size, frames, n_features), dtype=np.float32)
        y = np.zeros((size, frames, 2), dtype=np.float32)
        mask = np.zeros((size, frames), dtype=np.float32)
        tempo = np.zeros((size, len(self.intervals)), dtype=np.float32)
        for row, index in enumerate(rng.choice(len(self.examples), size=size, p=self.weights)):
            features, targets, tempo[row] = self.crop(rng, self.examples[index], frames)
            x[row, : len(features)] = features
            y[row, : len(features)] = targets
            mask[row, : len(features)] = 1.0
        return tuple(torch.from_numpy(a) for a in (x, y, mask, tempo))


def masked_loss(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, downbeat_weight: float = 1.0
) -> torch.Tensor:
    """Mean binary cross-entropy of beat and downbeat logits over unpadded frames, the downbeat
    term weighted by ``downbeat_weight`` (downbeats are a quarter as many as beats)."""
    per_head = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    per_frame = per_head[..., 0] + downbeat_weight * per_head[..., 1]
    return (per_frame * mask).sum() / mask.sum().clamp(min=1.0)


def tempo_loss(tempo_logits: torch.Tensor, tempo_targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of (B, K) tempo logits against (B, K) target distributions, over the
    crops that have one (a crop with fewer than three beats has none)."""
    has_tempo = tempo_targets.sum(dim=1) > 0
    if not has_tempo.any():
        return tempo_logits.sum() * 0.0
    log_p = F.log_softmax(tempo_logits[has_tempo], dim=1)
    return -(tempo_targets[has_tempo] * log_p).sum(dim=1).mean()


@torch.no_grad()
def validation_loss(model: BeatTCN, examples: list[Example], device: torch.device) -> float:
    """Whole-song loss over the validation examples, frame-weighted."""
    model.eval()
    total, frames = 0.0, 0
    for example in examples:
        x = torch.from_numpy(example.features.astype(np.float32))[None].to(device)
        y = torch.from_numpy(song_targets(example, model.config.fps))[None].to(device)
        logits, _ = model(x)
        total += masked_loss(logits, y, torch.ones(y.shape[:2], device=device)).item() * len(y[0])
        frames += len(y[0])
    model.train()
    return total / max(frames, 1)


def train(
    config: BeatTrainConfig,
    out: Path,
    resume: bool = False,
    device_name: str = "auto",
    examples: tuple[list[Example], list[Example]] | None = None,
) -> dict:
    """Run (or resume) training; returns the last training and validation losses.

    examples : (training, validation); made from ``../shared/data`` when not given.
    """
    device = resolve_device(device_name)
    torch.manual_seed(config.seed)
    net_config = BeatNetConfig.from_dict({**BeatNetConfig().to_dict(), **config.model})
    if examples is None:
        examples = (
            beat_examples(net_config, validation=False, workers=config.workers),
            beat_examples(net_config, validation=True, workers=config.workers),
        )
    train_examples, validation_examples = examples
    crops = Crops(train_examples, config, net_config)
    model = BeatTCN(net_config).to(device)
    checkpoint_path = out / "checkpoint.pt"
    optimizer, schedule, state = start_run(
        checkpoint_path, resume, device, net_config, model, config
    )
    start = 0 if state is None else int(state["step"])
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(out / "tensorboard"))
    result = {"loss": float("nan"), "validation_loss": float("nan")}
    progress = tqdm(range(start, config.steps), initial=start, total=config.steps, desc="beats")
    for step in progress:
        rng = np.random.default_rng([config.seed, step])
        batch = crops.batch(rng, config.batch_size, config.crop_frames)
        x, y, mask, tempo = (t.to(device) for t in batch)
        logits, tempo_logits = model(x, mask)
        loss = masked_loss(logits, y, mask, config.downbeat_weight)
        loss = loss + config.tempo_weight * tempo_loss(tempo_logits, tempo)
        if not torch.isfinite(loss):
            raise TrainingError(f"loss is not finite at step {step}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        done = step + 1
        result["loss"] = loss.item()
        if done % config.log_every == 0 or done == config.steps:
            writer.add_scalar("loss/train", result["loss"], done)
            progress.set_postfix(loss=f"{result['loss']:.4f}")
        if validation_examples and (done % config.validate_every == 0 or done == config.steps):
            result["validation_loss"] = validation_loss(model, validation_examples, device)
            writer.add_scalar("loss/validation", result["validation_loss"], done)
        if done % config.checkpoint_every == 0 or done == config.steps:
            checkpoint = run_checkpoint(net_config, model, optimizer, schedule, done, config)
            save_checkpoint(checkpoint_path, checkpoint)
    writer.close()
    export_beat_net(model.cpu().eval(), out / "beat_tracker.npz")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="run folder: checkpoint, logs")
    parser.add_argument("--config", type=Path, help="TOML with [train] and [model] tables")
    parser.add_argument("--seed", type=int, help="the run's seed, over the config's")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    args = parser.parse_args(argv)
    try:
        config = BeatTrainConfig.from_toml(args.config)
        if args.seed is not None:
            config = replace(config, seed=args.seed)
        result = train(config, args.out, args.resume, args.device)
    except (MotionBeatError, OSError, KeyboardInterrupt) as exc:
        return report_error("train_beats", exc)
    print(
        f"loss {result['loss']:.4f}, validation loss {result['validation_loss']:.4f}; "
        f"exported {args.out / 'beat_tracker.npz'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
