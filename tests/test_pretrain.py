"""Pretraining on the CPU: the loss falls, resume is exact, faults stop with a clear message."""

import json
import os
import subprocess
import sys
from dataclasses import asdict, replace

import numpy as np
import pytest
import torch

import training.encoder.pretrain as pretrain
import training.runs as runs
from core.model.checkpoint import read_checkpoint
from core.model.config import MotionBeatConfig
from core.model.network import MotionBeat
from tests.conftest import ROOT
from training.encoder.pretrain import TrainConfig, to_tensors, train, training_losses
from training.runs import TrainingError

TINY_MODEL = {"width": 32, "heads": 2, "audio_layers": 1, "motion_layers": 1, "embed_dim": 16}
NO_DROPOUT = {**TINY_MODEL, "dropout": 0.0}  # nothing random in the forward pass


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> TrainConfig:
    return TrainConfig(
        steps=12,
        batch_size=8,
        synthetic_clips=8,
        validation_clips=2,
        checkpoint_every=4,
        log_every=2,
        warmup_steps=2,
        learning_rate=2e-3,
        cache_dir=str(tmp_path_factory.mktemp("cache")),
        model=TINY_MODEL,
    )


def model_config(config):
    return MotionBeatConfig.from_dict({**MotionBeatConfig().to_dict(), **config.model})


def test_a_short_run_lowers_the_loss_on_a_fixed_batch(config, tmp_path):
    longer = replace(config, steps=40, checkpoint_every=40)
    train(longer, tmp_path, device_name="cpu")
    windows, _ = pretrain.training_windows(longer, model_config(longer))
    batch = to_tensors(windows.subset(np.arange(8)), torch.device("cpu"))

    def loss(model):
        model.eval()
        with torch.no_grad():
            return training_losses(model, batch, longer)["total"].item()

    torch.manual_seed(0)
    untrained = MotionBeat(model_config(longer))
    trained = MotionBeat(model_config(longer))
    trained.load_state_dict(read_checkpoint(tmp_path / "checkpoint.pt")["model"])
    assert loss(trained) < loss(untrained) - 0.1


def test_resume_continues_bit_for_bit(config, tmp_path):
    train(config, tmp_path / "straight", device_name="cpu")
    train(config, tmp_path / "resumed", device_name="cpu", stop_at=8)
    assert read_checkpoint(tmp_path / "resumed" / "checkpoint.pt")["step"] == 8
    train(config, tmp_path / "resumed", resume=True, device_name="cpu")
    straight = read_checkpoint(tmp_path / "straight" / "checkpoint.pt")
    resumed = read_checkpoint(tmp_path / "resumed" / "checkpoint.pt")
    assert straight["step"] == resumed["step"] == config.steps
    for name, weights in straight["model"].items():
        assert torch.equal(weights, resumed["model"][name]), name


def test_a_non_finite_loss_stops_training_naming_the_step(config, tmp_path, monkeypatch):
    real = pretrain.training_losses
    calls = {"n": 0}

    def poisoned(*args):
        losses = real(*args)
        calls["n"] += 1
        if calls["n"] == 3:
            losses["total"] = losses["total"] * float("nan")
        return losses

    monkeypatch.setattr(pretrain, "training_losses", poisoned)
    with pytest.raises(TrainingError, match=r"not finite at step 2 .*batch windows \[\d"):
        train(config, tmp_path, device_name="cpu")


def test_resume_refuses_a_checkpoint_of_another_model(config, tmp_path):
    train(replace(config, steps=2), tmp_path, device_name="cpu")
    other = replace(config, model={**TINY_MODEL, "width": 48})
    with pytest.raises(TrainingError, match="another model config"):
        train(other, tmp_path, resume=True, device_name="cpu")


def write_toml(path, config):
    """``config`` as the TOML file ``training.encoder.pretrain --config`` reads."""
    train_table = {k: v for k, v in asdict(config).items() if k != "model"}
    path.write_text(
        "[train]\n"
        + "".join(f"{k} = {json.dumps(v)}\n" for k, v in train_table.items())
        + "[model]\n"
        + "".join(f"{k} = {json.dumps(v)}\n" for k, v in config.model.items())
    )
    return path


def run_pretrain(*args):
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)},
    )


def test_a_kill_during_a_checkpoint_write_resumes_from_the_last_whole_one(config, tmp_path):
    toml = write_toml(tmp_path / "train.toml", config)
    killer = ROOT / "tests" / "fault_scripts" / "kill_in_checkpoint_write.py"
    straight = run_pretrain(
        "-m", "training.encoder.pretrain", "--out", str(tmp_path / "a"), "--config", str(toml)
    )
    assert straight.returncode == 0, straight.stderr[-3000:]

    # Killed in its second checkpoint write (step 8 of 12): step 4's file is whole.
    killed = run_pretrain(str(killer), "2", "--out", str(tmp_path / "b"), "--config", str(toml))
    assert killed.returncode == -9, killed.stderr[-3000:]
    (partial,) = (tmp_path / "b").glob(".checkpoint.pt.*.partial")  # what the kill left
    assert partial.stat().st_size > 0
    assert read_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 4

    resumed = run_pretrain(
        "-m", "training.pretrain", "--out", str(tmp_path / "b"), "--config", str(toml), "--resume"
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    def final_losses(result):
        return [line for line in result.stdout.splitlines() if line.startswith("final losses")]

    assert len(final_losses(resumed)) == 1
    assert final_losses(resumed) == final_losses(straight)
    a = read_checkpoint(tmp_path / "a" / "checkpoint.pt")
    b = read_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert a["step"] == b["step"] == config.steps
    for name, weights in a["model"].items():
        assert torch.equal(weights, b["model"][name]), name


def test_torchrun_trains_on_two_processes_with_averaged_gradients(config, tmp_path):
    run = replace(config, steps=4, batch_size=8, checkpoint_every=4, model=NO_DROPOUT)
    toml = write_toml(tmp_path / "train.toml", run)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            "--standalone",
            "-m",
            "training.encoder.pretrain",
            "--out",
            str(tmp_path / "run"),
            "--config",
            str(toml),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = read_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert checkpoint["step"] == 4
    # DistributedDataParallel averaged the two processes' gradients: one process that averages
    # the gradients of the same two half-batches has the same Adam first moments (a running mean
    # of the gradients). Weights are no fingerprint: the attention key biases get round-off
    # gradients (softmax ignores them) that Adam scales up to full steps.
    torch.manual_seed(run.seed)
    windows, _ = pretrain.training_windows(run, model_config(run))
    model = MotionBeat(model_config(run))
    optimizer, schedule = runs.optimizer_and_schedule(model, run)
    for step in range(run.steps):
        indices = pretrain.batch_indices(run, step, len(windows))
        optimizer.zero_grad()
        for rank in range(2):
            half = to_tensors(windows.subset(indices[rank::2]), torch.device("cpu"))
            (training_losses(model, half, run)["total"] / 2).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), run.grad_clip)
        optimizer.step()
        schedule.step()
    names = [name for name, _ in model.named_parameters()]
    width = model.config.width
    for index, state in optimizer.state_dict()["state"].items():
        distributed, emulated = checkpoint["optimizer"]["state"][index]["exp_avg"], state["exp_avg"]
        if names[index].endswith("attention.qkv.bias"):
            # The key third is round-off both ways; compare the query and value thirds.
            keep = torch.ones(3 * width, dtype=torch.bool)
            keep[width : 2 * width] = False
            distributed, emulated = distributed[keep], emulated[keep]
        torch.testing.assert_close(
            distributed,
            emulated,
            atol=1e-6,
            rtol=1e-3,
            msg=lambda m, name=names[index]: f"{name}: {m}",
        )


BAD_CONFIGS = {
    "nan learning rate": ("[train]\nlearning_rate = nan\n", "learning_rate"),
    "text steps": ('[train]\nsteps = "abc"\n', "steps"),
    "no steps": ("[train]\nsteps = 0\n", "steps"),
    "zero batch": ("[train]\nbatch_size = 0\n", "batch_size"),
    "zero checkpoint interval": ("[train]\ncheckpoint_every = 0\n", "checkpoint_every"),
    "unknown model key": ("[model]\nwidht = 64\n", "widht"),
    "model width as text": ('[model]\nwidth = "wide"\n', "width"),
    "unknown table": ("[trian]\nsteps = 3\n", "trian"),
    "broken toml": ("[train\nsteps = 3\n", "not TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
@pytest.mark.parametrize("trainer", ["training.encoder.pretrain", "training.beats.train"])
def test_a_bad_config_is_refused_with_one_line_naming_the_setting(tmp_path, case, trainer):
    text, named = BAD_CONFIGS[case]
    if trainer == "training.beats.train" and "width" in text:
        text = text.replace("width", "channels")
        named = named.replace("width", "channels")
    toml = tmp_path / "bad.toml"
    toml.write_text(text)
    result = run_pretrain("-m", trainer, "--out", str(tmp_path / "run"), "--config", str(toml))
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1 and named in result.stderr, result.stderr
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_a_missing_config_is_one_line(tmp_path):
    missing = tmp_path / "missing.toml"
    result = run_pretrain(
        "-m", "training.encoder.pretrain", "--out", str(tmp_path), "--config", str(missing)
    )
    assert (
        result.returncode == 1
        and result.stderr.count("\n") == 1
        and "missing.toml" in result.stderr
    )
