"""The MotionBeat encoders: shapes, the bar-shift property, contact guidance, checkpoints."""

import numpy as np
import pytest
import torch

from core.beats.beat_track import regular_bar_phase
from core.errors import ModelFileError
from core.model.checkpoint import load_model, save_checkpoint
from core.model.config import MotionBeatConfig
from core.model.network import MotionBeat, bar_embeddings
from core.model.phase_rotation import rotate_pairs, rotation_angles
from core.model.tokens import beat_synchronous, window_means

CONFIG = MotionBeatConfig(
    width=32,
    heads=2,
    audio_layers=2,
    motion_layers=2,
    dropout=0.0,
    embed_dim=16,
    n_mels=12,
    sub_beat_steps=4,
)


def random_inputs(n_tokens=12, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    mel = torch.randn(batch, n_tokens, CONFIG.sub_beat_steps, CONFIG.n_mels, generator=g)
    motion = torch.randn(
        batch, n_tokens, CONFIG.sub_beat_steps, CONFIG.motion_features, generator=g
    )
    contact = (torch.rand(batch, n_tokens, CONFIG.sub_beat_steps, generator=g) > 0.8).float()
    phase = torch.from_numpy(regular_bar_phase(n_tokens, 1, 4)).expand(batch, -1)
    return mel, motion, contact, phase


def test_window_means_average_piecewise_constant_frames():
    features = np.arange(10, dtype=float)[:, None]  # frame k holds k, spans [k-1/2, k+1/2)
    means = window_means(features, 1.0, np.array([0.5, 2.5, 4.0]), np.array([2.5, 4.5, 4.0]))
    np.testing.assert_allclose(means[:, 0], [1.5, 3.5, 4.0])


def test_beat_synchronous_tokens_have_fixed_steps_whatever_the_tempo():
    frames = np.random.default_rng(0).normal(size=(500, 3))
    for beats in (np.arange(0, 10, 0.5), np.arange(0, 10, 0.31)):
        tokens = beat_synchronous(frames, 50.0, beats, steps=8)
        assert tokens.shape == (len(beats) - 1, 8, 3)


def test_phase_rotation_makes_scores_depend_on_phase_differences_only():
    q, k = torch.randn(1, 1, 8, 16), torch.randn(1, 1, 8, 16)
    phase = torch.rand(1, 8)

    def scores(p):
        angles = rotation_angles(p, 8, (1, 2, 4), 64.0)
        return rotate_pairs(q, angles) @ rotate_pairs(k, angles).transpose(-1, -2)

    # Every phase moved by the same amount: the differences, and so the scores, stay.
    torch.testing.assert_close(scores((phase + 0.37) % 1.0), scores(phase), atol=1e-5, rtol=1e-5)
    # One token's phase moved: its scores with the others change.
    moved = phase.clone()
    moved[0, 3] = (moved[0, 3] + 0.25) % 1.0
    assert (scores(moved) - scores(phase))[0, 0, 3].abs().max() > 1e-3


def test_bar_shift_shifts_embeddings_by_one_bar():
    """One bar of padding in front of the sequence: every beat embedding moves by one bar and
    the clip embedding stays."""
    torch.manual_seed(0)
    model = MotionBeat(CONFIG).eval()
    mel, motion, contact, phase = random_inputs()
    bar = CONFIG.beats_per_bar
    pad = torch.zeros(2, 12, dtype=torch.bool)

    def shifted(x):
        return torch.cat([torch.randn_like(x[:, :bar]) * 5, x], dim=1)

    phase_shifted = torch.cat([phase[:, :bar], phase], dim=1)  # one bar earlier: same phases
    pad_shifted = torch.cat([torch.ones(2, bar, dtype=torch.bool), pad], dim=1)
    with torch.no_grad():
        audio = model.encode_audio(mel, phase, pad)
        audio_shifted = model.encode_audio(shifted(mel), phase_shifted, pad_shifted)
        moving = model.encode_motion(motion, contact, phase, pad)
        moving_shifted = model.encode_motion(
            shifted(motion), shifted(contact).clamp(0, 1), phase_shifted, pad_shifted
        )
    torch.testing.assert_close(audio_shifted.beats[:, bar:], audio.beats, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(audio_shifted.clip, audio.clip, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(moving_shifted.beats[:, bar:], moving.beats, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(moving_shifted.pulse[:, bar:], moving.pulse, atol=1e-5, rtol=1e-4)


def test_shifting_by_less_than_a_bar_changes_the_embeddings():
    torch.manual_seed(0)
    model = MotionBeat(CONFIG).eval()
    mel, _, _, phase = random_inputs()
    pad = torch.zeros(2, 12, dtype=torch.bool)
    with torch.no_grad():
        a = model.encode_audio(mel, phase, pad).clip
        b = model.encode_audio(mel, (phase + 0.25) % 1.0, pad).clip
    assert (a - b).abs().max() > 1e-3


def test_contact_guidance_pulls_attention_towards_landings():
    torch.manual_seed(0)
    model = MotionBeat(CONFIG).eval()
    _, motion, contact, phase = random_inputs()
    pad = torch.zeros(2, 12, dtype=torch.bool)
    with torch.no_grad():
        base = model.encode_motion(motion, contact, phase, pad).clip
        for block in model.motion_encoder.blocks:
            block.attention.contact_scale.fill_(0.0)
        unguided = model.encode_motion(motion, contact, phase, pad).clip
    assert (base - unguided).abs().max() > 1e-4


def test_embeddings_are_unit_length_and_bars_group_beats():
    model = MotionBeat(CONFIG).eval()
    mel, _, _, phase = random_inputs()
    with torch.no_grad():
        out = model.encode_audio(mel, phase, torch.zeros(2, 12, dtype=torch.bool))
    torch.testing.assert_close(out.clip.norm(dim=-1), torch.ones(2))
    bars = bar_embeddings(out.beats[0], phase[0])
    assert bars.shape == (4, CONFIG.embed_dim)  # a pickup beat, then three bars of four


def test_checkpoint_round_trip_rebuilds_the_model_from_the_file_alone(tmp_path):
    model = MotionBeat(CONFIG).eval()
    path = save_checkpoint(
        tmp_path / "m.pt", {"config": CONFIG.to_dict(), "model": model.state_dict()}
    )
    loaded = load_model(path)
    assert loaded.config == CONFIG
    for (name, a), (_, b) in zip(
        model.state_dict().items(), loaded.state_dict().items(), strict=True
    ):
        torch.testing.assert_close(a, b, msg=name)


@pytest.mark.parametrize("corrupt", ["truncated", "pickled-code", "wrong-config", "not-checkpoint"])
def test_bad_checkpoints_raise_model_file_error_and_run_nothing(tmp_path, corrupt):
    model = MotionBeat(CONFIG)
    path = tmp_path / "m.pt"
    marker = tmp_path / "pwned"
    if corrupt == "truncated":
        save_checkpoint(path, {"config": CONFIG.to_dict(), "model": model.state_dict()})
        path.write_bytes(path.read_bytes()[:2000])
    elif corrupt == "pickled-code":

        class Payload:
            def __reduce__(self):
                return (open, (str(marker), "w"))

        torch.save({"config": CONFIG.to_dict(), "model": Payload()}, path)
    elif corrupt == "wrong-config":
        wrong = {**CONFIG.to_dict(), "width": 64}
        save_checkpoint(path, {"config": wrong, "model": model.state_dict()})
    else:
        torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    assert not marker.exists()
    # One line in the project's words; never torch's advice to load with weights_only=False.
    assert "\n" not in str(error.value) and "weights_only" not in str(error.value)


def test_switching_contact_guidance_off_removes_it():
    model = MotionBeat(
        MotionBeatConfig(
            **{**CONFIG.to_dict(), "contact_guidance": False, "harmonics": CONFIG.harmonics}
        )
    )
    assert all(b.attention.contact_scale is None for b in model.motion_encoder.blocks)
    assert all(
        b.attention.contact_scale is not None for b in MotionBeat(CONFIG).motion_encoder.blocks
    )


def test_the_librosa_front_end_feeds_onset_chroma_and_mfccs_to_the_same_motion_encoder(
    demo_song,
):
    from core.audio.decode import load_audio
    from core.model.tokens import audio_frames, log_mel

    mel_config = MotionBeatConfig()
    baseline = MotionBeatConfig(audio_front_end="librosa", audio_layers=0)
    y = load_audio(demo_song)
    frames = audio_frames(y, baseline)
    assert frames.shape == (len(log_mel(y, mel_config)), baseline.audio_features)
    assert (
        baseline.audio_features == 33 and 0 <= frames[:, 1:13].min() <= frames[:, 1:13].max() <= 1
    )
    # Its tokens are cached apart from the model's; the model's cache keys stay as they were.
    assert baseline.token_settings() != mel_config.token_settings()
    assert "audio_front_end" not in mel_config.token_settings()
    model = MotionBeat(baseline)
    tokens = torch.from_numpy(frames[: 4 * 8].reshape(1, 4, 8, -1))
    phase = torch.tensor([[0.0, 0.25, 0.5, 0.75]])
    encoded = model.encode_audio(tokens, phase, torch.zeros(1, 4, dtype=torch.bool))
    assert encoded.clip.shape == (1, baseline.embed_dim)
    assert len(model.audio_encoder.blocks) == 0
