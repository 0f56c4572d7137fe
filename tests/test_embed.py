"""Song embeddings from the command line, export of a checkpoint, and the shipped model."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from core.model.checkpoint import DEFAULT_MODEL, load_model, save_checkpoint
from core.model.config import MotionBeatConfig
from core.model.embedding import embed_song
from core.model.network import MotionBeat, TorchAudioEncoder
from training.export import export

TINY = MotionBeatConfig(width=32, heads=2, audio_layers=1, motion_layers=1, embed_dim=16)


def motionbeat(*args):
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def tiny_model_file(tmp_path_factory):
    torch.manual_seed(0)
    model = MotionBeat(TINY)
    training = save_checkpoint(
        tmp_path_factory.mktemp("run") / "checkpoint.pt",
        {
            "config": TINY.to_dict(),
            "model": model.state_dict(),
            "step": 3,
            "optimizer": {},
            "torch_rng": torch.get_rng_state(),
        },
    )
    return export(training, training.with_name("exported.pt"))


def test_export_keeps_config_and_half_precision_weights_only(tiny_model_file):
    state = torch.load(tiny_model_file, weights_only=True)
    assert set(state) == {"config", "model", "step", "train_config"}
    assert all(v.dtype == torch.float16 for v in state["model"].values() if v.is_floating_point())
    assert load_model(tiny_model_file).config == TINY


def test_embed_writes_unit_beat_and_bar_embeddings(demo_song, tiny_model_file, tmp_path):
    out = tmp_path / "emb.npz"
    result = motionbeat(
        "embed",
        str(demo_song),
        "--out",
        str(out),
        "--model",
        str(tiny_model_file),
        "--device",
        "cpu",
    )
    assert result.returncode == 0, result.stderr
    with np.load(out) as data:
        beats, bars = data["beat_embeddings"], data["bar_embeddings"]
        assert beats.shape == (len(data["beat_times"]) - 1, TINY.embed_dim)
        assert abs(len(bars) - len(beats) / 4) <= 1.5
        np.testing.assert_allclose(np.linalg.norm(beats, axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(np.linalg.norm(data["clip_embedding"]), 1.0, atol=1e-5)


def test_embed_with_a_missing_model_exits_1_naming_it(demo_song, tmp_path):
    result = motionbeat(
        "embed",
        str(demo_song),
        "--out",
        str(tmp_path / "e.npz"),
        "--model",
        str(tmp_path / "nowhere.pt"),
    )
    assert result.returncode == 1
    assert "ModelFileError" in result.stderr and "nowhere.pt" in result.stderr


def test_the_embedded_default_model_embeds_a_song(demo_song):
    if not DEFAULT_MODEL.is_file():
        pytest.fail(f"{DEFAULT_MODEL} is not in the project")
    model = load_model(DEFAULT_MODEL)
    embedding = embed_song(demo_song, TorchAudioEncoder(model))
    assert embedding.beats.shape[1] == model.config.embed_dim
    assert (DEFAULT_MODEL.parent / "MODEL_CARD.md").is_file()
