"""Evaluate MotionBeat encoders on held-out pairs: retrieval and beat-jitter discrimination.

    python -m training.encoder.evaluate CHECKPOINT [--config train.toml] [--baseline NAME=CKPT]
        [--device]

On the validation pairs of the training config's data (never trained on): the last synthetic
clips, tang2018's test pairs, the held-out CMU takes of the pseudo-pairs, or the held-out files
of a paired folder (``TrainConfig.data``: synthetic, tang2018, pseudo or files):
- retrieval: music-to-motion and motion-to-music recall@1/5/10 per clip (its first window) and
  per window (all non-overlapping windows of all clips), so that no overlapping window of the
  same clip competes with the true match;
- beat-jitter discrimination: the share of (window, shift) cases where the music scores the
  aligned motion above the same motion shifted by -1, -1/2, +1/2 or +1 beat, which is the
  fine-grained rhythmic discrimination MotionBeat claims (arXiv 2510.13244).
The same run scores a randomly initialised model of the same config, and any ``--baseline``
checkpoints: ``training/configs/baseline_librosa.toml`` trains the hand-made-features baseline
(librosa onset, chroma and MFCCs into the same motion encoder and losses, no audio layers).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from core.errors import MotionBeatError, report_error
from core.model.checkpoint import load_model, resolve_device
from core.model.network import MotionBeat
from training.encoder.pretrain import TrainConfig, to_tensors, training_windows
from training.encoder.windows import Windows

RECALL_AT = (1, 5, 10)


@torch.no_grad()
def embed_windows(
    model: MotionBeat, windows: Windows, device: torch.device, batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clip embeddings of music (W, E), motion (W, E) and jittered motion (W, 4, E)."""
    model.eval()
    audio, motion, jitter = [], [], []
    for start in range(0, len(windows), batch_size):
        batch = to_tensors(
            windows.subset(np.arange(start, min(start + batch_size, len(windows)))), device
        )
        b, n = batch["bar_phase"].shape
        padding = torch.zeros(b, n, dtype=torch.bool, device=device)
        audio.append(model.encode_audio(batch["mel"], batch["bar_phase"], padding).clip)
        motion.append(
            model.encode_motion(batch["motion"], batch["contact"], batch["bar_phase"], padding).clip
        )
        k = batch["jitter_motion"].shape[1]
        jitter.append(
            model.encode_motion(
                batch["jitter_motion"].flatten(0, 1),
                batch["jitter_contact"].flatten(0, 1),
                batch["bar_phase"].repeat_interleave(k, 0),
                padding.repeat_interleave(k, 0),
            ).clip.view(b, k, -1)
        )
    return tuple(torch.cat(x).cpu().numpy() for x in (audio, motion, jitter))


def recall_at_k(queries: np.ndarray, gallery: np.ndarray, ks=RECALL_AT) -> dict[int, float]:
    """Share of queries whose true match (same row) ranks within the top k by cosine."""
    similarity = queries @ gallery.T
    rank = (similarity > np.diag(similarity)[:, None]).sum(axis=1)
    return {k: float(np.mean(rank < k)) for k in ks}


def jitter_discrimination(audio: np.ndarray, motion: np.ndarray, jitter: np.ndarray) -> float:
    """Share of (window, shift) cases with sim(music, aligned) > sim(music, shifted)."""
    aligned = np.sum(audio * motion, axis=-1)
    shifted = np.einsum("we,wke->wk", audio, jitter)
    return float(np.mean(aligned[:, None] > shifted))


def non_overlapping(clip_index: np.ndarray, windows_apart: int) -> np.ndarray:
    """Indices of every ``windows_apart``-th window of each clip (windows step one bar)."""
    clips, first_of_clip = np.unique(clip_index, return_index=True)
    position = np.arange(len(clip_index)) - first_of_clip[np.searchsorted(clips, clip_index)]
    return np.flatnonzero(position % windows_apart == 0)


def evaluate(model: MotionBeat, windows: Windows, device: torch.device) -> dict[str, float]:
    """Retrieval per clip and per window, and beat-jitter discrimination (see the module)."""
    audio, motion, jitter = embed_windows(model, windows, device)
    window_bars = windows.bar_phase.shape[1] // model.config.beats_per_bar
    levels = {
        "clip": np.unique(windows.clip_index, return_index=True)[1],
        "window": non_overlapping(windows.clip_index, window_bars),
    }
    figures = {}
    for level, rows in levels.items():
        for k, v in recall_at_k(audio[rows], motion[rows]).items():
            figures[f"{level} m>d R@{k}"] = v
        for k, v in recall_at_k(motion[rows], audio[rows]).items():
            figures[f"{level} d>m R@{k}"] = v
    figures["jitter"] = jitter_discrimination(audio, motion, jitter)
    return figures


def markdown_table(first: str, rows: dict[str, dict[str, float]]) -> str:
    """The figures of each row (name: {column: value}) as a Markdown table, three decimals."""
    columns = list(next(iter(rows.values())))
    lines = [f"| {first} | {' | '.join(columns)} |", f"|---|{'---|' * len(columns)}"]
    lines += [
        f"| {n} | " + " | ".join(f"{f[c]:.3f}" for c in columns) + " |" for n, f in rows.items()
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--config", type=Path, help="the training TOML (for the validation set)")
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="NAME=CHECKPOINT",
        help="another trained model to score in the same run (for example the librosa-features "
        "baseline); it is fed its own tokens of the same validation clips; repeatable",
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = parser.parse_args(argv)
    try:
        device = resolve_device(args.device)
        trained = load_model(args.checkpoint, device)
        config = TrainConfig.from_toml(args.config)
        _, validation = training_windows(config, trained.config)
        torch.manual_seed(config.seed)
        rows = {
            "random encoder": evaluate(MotionBeat(trained.config).to(device), validation, device),
            "MotionBeat": evaluate(trained, validation, device),
        }
        for name, path in (entry.split("=", 1) for entry in args.baseline):
            baseline = load_model(path, device)
            rows[name] = evaluate(baseline, training_windows(config, baseline.config)[1], device)
    except (MotionBeatError, OSError, KeyboardInterrupt) as exc:
        return report_error("evaluate", exc)
    n_clips = len(np.unique(validation.clip_index))
    print(
        f"held-out {config.data} pairs: {n_clips} clips, {len(validation)} windows "
        "(m>d: music to dance, d>m: dance to music; jitter: beat-jitter discrimination)"
    )
    print(markdown_table("model", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
