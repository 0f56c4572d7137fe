"""The numpy music encoder against the torch one: the parity the light runtime rests on."""

import numpy as np
import torch

from core.audio import load_audio
from core.beats import track_beats
from core.model import DEFAULT_MODEL, load_model
from core.model.numpy_runtime import DEFAULT_AUDIO_MODEL, NumpyAudioEncoder, export_audio
from core.model.tokens import audio_tokens


def relative(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def test_numpy_and_torch_embed_a_song_alike(demo_song):
    model = load_model(DEFAULT_MODEL, "cpu")
    y = load_audio(demo_song)
    track = track_beats(y, model.config.sample_rate, model.config.beats_per_bar)
    tokens = audio_tokens(y, track.beats, track.first_downbeat_index, model.config)
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
