"""A library only meets music embeddings of the model that embedded it; a retrained model
reaches Blender and the CLI through ``python -m training.export CKPT --out ENCODER.npz``."""

import subprocess
import sys

import pytest

from core.choreography.library import built_in_library, default_library
from core.errors import MotionFileError
from core.model.checkpoint import DEFAULT_MODEL, load_model
from core.model.network import TorchAudioEncoder
from core.model.numpy_encoder import NumpyAudioEncoder, default_audio_encoder


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True)


def test_a_checkpoint_and_its_numpy_export_are_one_model_and_the_libraries_know_it():
    shipped = default_audio_encoder().model_id
    assert TorchAudioEncoder(load_model(DEFAULT_MODEL, "cpu")).model_id == shipped
    assert default_library().model_id == built_in_library("procedural").model_id == shipped


def test_the_export_command_writes_the_encoder_the_add_on_and_generate_take(tmp_path):
    out = tmp_path / "encoder.npz"
    result = run("-m", "training.export", str(DEFAULT_MODEL), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert NumpyAudioEncoder(out).model_id == default_audio_encoder().model_id


def test_an_untrained_encoder_is_refused_with_the_built_in_library(demo_song, tmp_path):
    encoder = tmp_path / "untrained.npz"
    assert run("-m", "training.export", "--untrained", "--out", str(encoder)).returncode == 0
    assert NumpyAudioEncoder(encoder).model_id != default_audio_encoder().model_id
    with pytest.raises(MotionFileError, match="another MotionBeat model"):
        default_library().check_model(NumpyAudioEncoder(encoder).model_id)
    dance = tmp_path / "dance.npz"
    result = run("-m", "core.cli", "generate", str(demo_song), "--out", str(dance),
                 "--encoder", str(encoder))  # fmt: skip
    assert result.returncode == 1 and "library build --model" in result.stderr
    assert not dance.exists()
