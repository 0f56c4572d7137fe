"""MotionBeat's beat tracker: its numpy runtime against torch, and on real songs."""

import json

import librosa
import mir_eval
import numpy as np
import pytest
import torch

from core.audio.decode import SAMPLE_RATE, load_audio
from core.audio.demo_song import DEMO_BARS, DEMO_BPM, synthesize_demo_song
from core.beats.network import BeatNet, BeatNetConfig, log_mel_flux, track_beats_network
from core.errors import ModelFileError
from tests.conftest import SHARED_DATA, annotated_times, require_shared_data
from training.beats.network import BeatTCN
from training.export import export_beat_net

SMALL = BeatNetConfig(channels=8, dilations=(1, 2, 4))


def f_measure(reference, estimate) -> float:
    return mir_eval.beat.f_measure(
        mir_eval.beat.trim_beats(np.asarray(reference)),
        mir_eval.beat.trim_beats(np.asarray(estimate)),
    )


def test_features_are_librosa_mel_magnitudes_in_the_log():
    y = synthesize_demo_song(bars=2)
    config = BeatNetConfig()
    features = log_mel_flux(y, config)
    magnitude = np.abs(librosa.stft(y, n_fft=config.n_fft, hop_length=config.hop_length))
    filterbank = librosa.filters.mel(
        sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels, fmin=30.0, fmax=11025.0
    )
    expected = np.log(filterbank @ magnitude + 1e-2).T
    expected -= expected.mean()
    assert features.shape == (len(expected), 2 * config.n_mels)
    np.testing.assert_allclose(features[:, : config.n_mels], expected, atol=1e-3)
    flux = features[:, config.n_mels :]
    assert flux.min() >= 0.0 and np.all(flux[0] == 0.0)


def test_numpy_runtime_matches_torch(tmp_path):
    torch.manual_seed(0)
    model = BeatTCN(SMALL).eval()
    path = export_beat_net(model, tmp_path / "net.npz")
    y = synthesize_demo_song(bars=3)
    features = log_mel_flux(y, SMALL)
    with torch.no_grad():
        logits, tempo_logits = model(torch.from_numpy(features)[None])
    activation, tempo = BeatNet(path).activations(y)
    np.testing.assert_allclose(activation, torch.sigmoid(logits)[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(tempo, torch.softmax(tempo_logits, dim=1)[0], rtol=1e-4, atol=1e-6)


def test_several_exports_average_their_activations_and_tempi(tmp_path):
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        paths.append(export_beat_net(BeatTCN(SMALL).eval(), tmp_path / f"net{seed}.npz"))
    y = synthesize_demo_song(bars=3)
    (a0, t0), (a1, t1) = (BeatNet(path).activations(y) for path in paths)
    assert np.abs(a0 - a1).max() > 0.01  # the members differ, so the mean is a real test
    activation, tempo = BeatNet(*paths).activations(y)
    np.testing.assert_allclose(activation, (a0 + a1) / 2, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(tempo, (t0 + t1) / 2, rtol=1e-6, atol=1e-7)


def test_exports_of_different_configs_are_not_averaged(tmp_path):
    small = export_beat_net(BeatTCN(SMALL), tmp_path / "small.npz")
    wider = BeatNetConfig(channels=12, dilations=SMALL.dilations)
    other = export_beat_net(BeatTCN(wider), tmp_path / "wider.npz")
    with pytest.raises(ModelFileError, match="different configs"):
        BeatNet(small, other)


@pytest.mark.parametrize("gain", [0.25, 0.05])
def test_gain_does_not_change_the_beats(gain):
    """The same beats at any gain, but for the last: half a beat before the audio stops, the
    network sees the song's end (zeros past it) within its reach, and there the shipped
    weights move the beat 33 ms between gains (24.459 s loud, 24.492 s quiet, on the grid)."""
    y = synthesize_demo_song()
    loud, quiet = track_beats_network(y), track_beats_network(gain * y)
    assert len(quiet.beats) == len(loud.beats)
    frame = 1.0 / BeatNetConfig().fps
    inside = loud.beats < len(y) / SAMPLE_RATE - 1.0  # a beat of music or more after them
    assert inside.sum() >= len(loud.beats) - 2
    # Sub-frame peaks may move.
    assert np.abs(quiet.beats - loud.beats)[inside].max() < 1.5 * frame
    assert quiet.beats_per_bar == loud.beats_per_bar
    np.testing.assert_allclose(quiet.downbeats[:6], loud.downbeats[:6], atol=0.02)


@pytest.mark.parametrize("content", [b"", b"not an npz at all"])
def test_bad_weights_file_is_a_model_file_error(tmp_path, content):
    path = tmp_path / "beat_tracker.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError):
        BeatNet(path)
    with pytest.raises(ModelFileError, match="not found"):
        BeatNet(tmp_path / "missing.npz")


def test_weights_that_do_not_fit_their_config_are_a_model_file_error(tmp_path):
    path = export_beat_net(BeatTCN(SMALL), tmp_path / "net.npz")
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files if not k.startswith("blocks.2.")}
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError, match="lacks weights"):
        BeatNet(path)


def test_demo_song_beats_downbeats_and_meter():
    track = track_beats_network(synthesize_demo_song())
    period = 60.0 / DEMO_BPM
    assert track.tracker == "motionbeat" and track.beats_per_bar == 4
    assert track.tempo_bpm == pytest.approx(DEMO_BPM, rel=0.02)
    assert f_measure(np.arange(DEMO_BARS * 4) * period, track.beats) > 0.9
    assert f_measure(np.arange(DEMO_BARS) * 4 * period, track.downbeats) > 0.9
    assert 0.5 < track.confidence <= 1.0


def test_tracker_on_a_short_annotated_song():
    """The first 40 s of a held-out LMMS song (validation split, never trained on)."""
    folder = require_shared_data(SHARED_DATA / "beats" / "lmms")
    song = json.loads((folder / "beats.json").read_text())["CapDan-ReggaetonTry"]
    y = load_audio(folder / song["audio"])[: 40 * SAMPLE_RATE]
    track = track_beats_network(y)
    beats = annotated_times(song["beats"])
    downbeats = annotated_times(song["downbeats"])
    assert f_measure(beats[beats < 40], track.beats) > 0.9
    assert f_measure(downbeats[downbeats < 40], track.downbeats) > 0.9
