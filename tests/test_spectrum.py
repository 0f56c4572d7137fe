"""The numpy spectra equal librosa's, which they stand in for where librosa is absent."""

import librosa
import numpy as np
import pytest

from core.audio.demo_song import SAMPLE_RATE, synthesize_demo_song
from core.audio.spectrum import (
    mel_filterbank,
    mel_spectrogram,
    n_frames,
    onset_strength,
    power_to_db,
    sound_level,
    stft_magnitude,
)


@pytest.mark.parametrize(
    ("sr", "n_fft", "n_mels", "fmin", "fmax"),
    [(22050, 2048, 128, 0.0, None), (22050, 2048, 64, 30.0, 11025.0), (44100, 1024, 40, 0, 8e3)],
)
def test_mel_filterbank_is_librosa_s(sr, n_fft, n_mels, fmin, fmax):
    expected = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    np.testing.assert_allclose(mel_filterbank(sr, n_fft, n_mels, fmin, fmax), expected, atol=1e-7)


@pytest.mark.parametrize("n_samples", [22050 * 3, 22050 * 3 + 101])
def test_stft_magnitude_is_librosa_s_in_blocks(n_samples):
    y = synthesize_demo_song(bars=2)[:n_samples]
    expected = np.abs(librosa.stft(y, n_fft=2048, hop_length=512)).T
    blocks = list(stft_magnitude(y, 2048, 512, block_frames=50))
    assert [start for start, _ in blocks] == list(range(0, len(expected), 50))
    magnitude = np.concatenate([block for _, block in blocks])
    assert len(magnitude) == n_frames(len(y), 512) == len(expected)
    np.testing.assert_allclose(magnitude, expected, atol=2e-3 * expected.max())


def test_power_to_db_is_librosa_s():
    power = np.abs(np.random.default_rng(0).normal(size=(20, 30))) ** 4
    expected = librosa.power_to_db(power, ref=np.max, top_db=80.0)
    np.testing.assert_allclose(power_to_db(power), expected, atol=1e-4)


def test_mel_spectrogram_and_onset_strength_are_librosa_s():
    y = synthesize_demo_song(bars=2)
    power = mel_spectrogram(y, 22050, 2048, 512, 128)
    expected = librosa.feature.melspectrogram(y=y, sr=22050, hop_length=512).T
    np.testing.assert_allclose(power, expected, rtol=1e-3, atol=1e-6 * expected.max())
    onset = onset_strength(power_to_db(power), 2048, 512)
    expected_onset = librosa.onset.onset_strength(y=y, sr=22050, hop_length=512)
    np.testing.assert_allclose(onset, expected_onset, atol=1e-2 * expected_onset.max())


def test_the_rms_loudness_is_librosa_s():
    y = synthesize_demo_song(bars=2)[:50001]
    rms, _, times = sound_level(y, SAMPLE_RATE)
    expected = librosa.feature.rms(y=y)[0]
    np.testing.assert_allclose(rms, expected, atol=1e-6)
    np.testing.assert_allclose(times, librosa.frames_to_time(np.arange(len(expected))))
