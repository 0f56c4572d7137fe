"""What every training run shares: its error type, the TOML config reader, AdamW with a
warmup-then-cosine schedule, checkpoints of the whole run state, and resuming from them.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, fields
from pathlib import Path

import torch
import torch.distributed as dist

from core.errors import MotionBeatError
from core.model.checkpoint import read_checkpoint


class TrainingError(MotionBeatError):
    """Training cannot go on: a non-finite loss, or a checkpoint that does not fit the run."""


# [train] settings that must be above zero, and those that must not be below it.
POSITIVE = {"steps", "batch_size", "learning_rate", "checkpoint_every", "log_every", "grad_clip",
            "synthetic_clips", "window_bars", "crop_frames", "validate_every", "workers",
            "max_stretch"}  # fmt: skip


NOT_NEGATIVE = {"weight_decay", "warmup_steps", "sral_weight", "aux_weight", "validation_clips",
                "seed", "downbeat_weight", "tempo_weight", "max_band_shift",
                "max_tilt"}  # fmt: skip


def _checked_table(table: str, values: dict, defaults: object, name: str) -> None:
    """Raise TrainingError naming the first key of ``values`` that ``defaults`` (a dataclass
    instance) lacks, or whose value is not of its default's type or is not finite."""
    known = {f.name: getattr(defaults, f.name) for f in fields(defaults)}  # type: ignore[arg-type]
    for key, value in values.items():
        if key not in known:
            raise TrainingError(f"{name}: unknown [{table}] setting {key!r}")
        default = known[key]
        if isinstance(default, bool):
            fits = isinstance(value, bool)
        elif isinstance(default, int):
            fits = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(default, float):
            fits = isinstance(value, int | float) and not isinstance(value, bool)
            fits = fits and math.isfinite(value)
        elif isinstance(default, tuple):
            fits = isinstance(value, list | tuple)
        else:
            fits = isinstance(value, type(default))
        if not fits:
            kind = type(default).__name__
            raise TrainingError(f"{name}: [{table}] {key} = {value!r} is not a finite {kind}")
        if table == "train" and key in POSITIVE and not value > 0:
            raise TrainingError(f"{name}: [train] {key} must be above 0, not {value!r}")
        if table == "train" and key in NOT_NEGATIVE and value < 0:
            raise TrainingError(f"{name}: [train] {key} must not be below 0, not {value!r}")


def config_from_toml(cls, path: Path | None, model_config: type):
    """The training config dataclass ``cls`` with its defaults, overridden by the file's [train]
    table, and its ``model`` field set to the file's [model] table (fields of
    ``model_config``).

    Raises TrainingError naming the setting, for a missing or malformed file, an unknown
    setting, a value of the wrong type, a non-finite number or one out of its range.
    """
    if path is None:
        return cls()
    try:
        values = tomllib.loads(path.read_text())
    except OSError as exc:
        raise TrainingError(f"{path}: cannot read the config ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TrainingError(f"{path.name}: not TOML ({exc})") from exc
    unknown = set(values) - {"train", "model"}
    if unknown:
        raise TrainingError(f"{path.name}: unknown tables {sorted(unknown)}; use [train], [model]")
    train, model = values.get("train", {}), values.get("model", {})
    _checked_table("train", train, cls(), path.name)
    _checked_table("model", model, model_config(), path.name)
    return cls(**train, model=model)


def learning_rate_factor(config, step: int) -> float:
    """Linear warmup, then cosine decay to zero at ``steps``, of a training config's
    ``warmup_steps`` and ``steps`` (the encoder's or the beat tracker's)."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def optimizer_and_schedule(model: torch.nn.Module, config):
    """AdamW and its warmup-then-cosine learning-rate schedule, from a training config's
    learning_rate, weight_decay, warmup_steps and steps (this module's or the beat tracker's)."""
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: learning_rate_factor(config, s)
    )
    return optimizer, schedule


def resume_run(path: Path, device: torch.device, model_config, model, optimizer, schedule):
    """Load a run's checkpoint into its model, optimizer and schedule; returns the checkpoint.

    model_config : the run's config dataclass (``MotionBeatConfig`` or ``BeatNetConfig``).
    Raises TrainingError if the checkpoint was trained with another model config.
    """
    state = read_checkpoint(path, device)
    try:
        same = type(model_config).from_dict(state["config"]) == model_config
    except (ValueError, TypeError):
        same = False
    if not same:
        raise TrainingError(f"{path} was trained with another model config")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    return state


def start_run(checkpoint: Path, resume: bool, device, model_config, model, config):
    """The optimizer and schedule of a run (``optimizer_and_schedule``), and the state read
    back from ``checkpoint`` into them and ``model`` when ``resume`` and it exists (else None).

    Raises TrainingError if that checkpoint was trained with another model config.
    """
    optimizer, schedule = optimizer_and_schedule(model, config)
    if not (resume and checkpoint.is_file()):
        return optimizer, schedule, None
    return (
        optimizer,
        schedule,
        resume_run(checkpoint, device, model_config, model, optimizer, schedule),
    )


def run_checkpoint(model_config, model, optimizer, schedule, step: int, config, **extra) -> dict:
    """What a run's checkpoint holds: model config and weights, optimizer and schedule state,
    the step, the training config (less its model table) and ``extra``."""
    return {
        "config": model_config.to_dict(),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "step": step,
        "train_config": {k: v for k, v in asdict(config).items() if k != "model"},
        **extra,
    }


def is_main() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0
