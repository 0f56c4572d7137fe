"""The numpy music encoder against the torch one: the parity the light runtime rests on."""

import subprocess
import sys

import numpy as np
import torch

from core.analysis import analyze_song
from core.audio.decode import load_audio
from core.beats.librosa_tracker import track_beats
from core.body.motion import Motion
from core.choreography.library import default_library
from core.choreography.motion_graph import Controls, choreograph_from_library
from core.generate import generate_dance
from core.model.checkpoint import DEFAULT_MODEL, load_model
from core.model.embedding import embed_audio
from core.model.network import TorchAudioEncoder
from core.model.numpy_encoder import DEFAULT_AUDIO_MODEL, NumpyAudioEncoder
from core.model.tokens import audio_tokens
from training.export import export_audio


def relative(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def test_numpy_and_torch_embed_a_song_alike(demo_song):
    model = load_model(DEFAULT_MODEL, "cpu")
    y = load_audio(demo_song)
    track = track_beats(y, model.config.sample_rate, model.config.beats_per_bar)
    tokens = audio_tokens(y, track.beats, track.bar_phase[:-1], model.config)
    clip, beats = NumpyAudioEncoder(DEFAULT_AUDIO_MODEL).encode(tokens.mel, tokens.bar_phase)
    with torch.no_grad():
        expected = model.encode_audio(
            torch.from_numpy(tokens.mel)[None],
            torch.from_numpy(tokens.bar_phase)[None],
            torch.zeros(1, len(tokens.mel), dtype=torch.bool),
        )
    assert relative(beats, expected.beats[0].numpy()) < 1e-4
    assert relative(clip, expected.clip[0].numpy()) < 1e-4


def test_the_shipped_export_is_the_default_model_s(tmp_path):
    """Re-export it (``export_audio``) whenever the default model changes."""
    model = load_model(DEFAULT_MODEL, "cpu")
    fresh = NumpyAudioEncoder(export_audio(model.state_dict(), model.config, tmp_path / "a.npz"))
    shipped = NumpyAudioEncoder(DEFAULT_AUDIO_MODEL)
    assert fresh.config == shipped.config and fresh.weights.keys() == shipped.weights.keys()
    for name, weights in fresh.weights.items():
        np.testing.assert_array_equal(weights, shipped.weights[name])


def test_a_file_that_is_no_export_is_refused(tmp_path):
    import pytest

    from core.errors import ModelFileError

    (tmp_path / "x.npz").write_bytes(b"not an npz")
    with pytest.raises(ModelFileError, match="not an exported music encoder"):
        NumpyAudioEncoder(tmp_path / "x.npz")


def test_numpy_and_torch_encoders_give_the_same_dance(demo_song):
    """The numpy runtime computes the torch model: embeddings within 1e-4, and so the very
    same dance for the same seed."""
    analysis = analyze_song(demo_song)
    y = load_audio(demo_song)
    numpy_embedding = embed_audio(y, analysis.beat_track)
    torch_embedding = embed_audio(
        y, analysis.beat_track, TorchAudioEncoder(load_model(DEFAULT_MODEL, "cpu"))
    )
    assert relative(numpy_embedding.beats, torch_embedding.beats) < 1e-4
    assert relative(numpy_embedding.bars, torch_embedding.bars) < 1e-4
    dances = [
        choreograph_from_library(analysis, e, default_library(), 30.0, Controls(seed=5))
        for e in (numpy_embedding, torch_embedding)
    ]
    np.testing.assert_array_equal(dances[0].poses, dances[1].poses)
    np.testing.assert_array_equal(dances[0].trans, dances[1].trans)


BLOCKED = ("torch", "librosa", "numba", "llvmlite", "sklearn", "mir_eval", "smplx", "bpy")
WITHOUT_HEAVY_PACKAGES = f"""
import sys

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError(f"{{name}} is blocked, as in Blender's Python")
        return None

sys.meta_path.insert(0, Blocked())
from core.generate import generate_dance

analysis, motion = generate_dance(sys.argv[1], seed=3)
motion.save_npz(sys.argv[2])
print(analysis.beat_track.tracker, sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r}))
"""


def test_generation_needs_neither_torch_nor_librosa(demo_song, tmp_path):
    """What Blender's Python has (numpy) plus the wheels the extension carries (scipy,
    soundfile, soxr) is enough to make the same dance."""
    out = tmp_path / "dance.npz"
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_HEAVY_PACKAGES, str(demo_song), str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["motionbeat", "[]"]
    _, expected = generate_dance(demo_song, seed=3)
    np.testing.assert_array_equal(Motion.load_npz(out).poses, expected.poses)


def test_attention_a_block_of_queries_at_a_time_is_attention_over_the_whole_song(monkeypatch):
    """Blocks bound the memory of long songs; every query still attends to every beat."""
    import core.model.numpy_encoder as numpy_encoder

    encoder = numpy_encoder.default_audio_encoder()
    config = encoder.config
    rng = np.random.default_rng(0)
    mel = rng.normal(size=(100, config.sub_beat_steps, config.n_mels)).astype(np.float32)
    phase = (np.arange(100) % 4 / 4).astype(np.float32)
    whole = encoder.encode(mel, phase)
    monkeypatch.setattr(numpy_encoder, "ATTENTION_BLOCK", 7)
    for blocked, expected in zip(encoder.encode(mel, phase), whole, strict=True):
        np.testing.assert_allclose(blocked, expected, rtol=1e-6, atol=1e-7)
    changed = mel.copy()
    changed[-1] += 1.0  # the last beat reaches the first through attention across blocks
    assert not np.allclose(encoder.encode(changed, phase)[1][0], whole[1][0], atol=1e-6)
