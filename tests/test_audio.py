import numpy as np
import pytest
import soundfile

from core.audio.decode import SAMPLE_RATE, load_audio
from core.audio.demo_song import synthesize_demo_song
from core.errors import AudioLoadError
from tests.conftest import BAD_SONGS, write_tone


@pytest.mark.parametrize(
    "suffix, fmt", [(".wav", "WAV"), (".flac", "FLAC"), (".ogg", "OGG"), (".mp3", "MP3")]
)
def test_every_format_decodes_to_mono_at_the_analysis_rate(tmp_path, suffix, fmt):
    path = write_tone(tmp_path / f"tone{suffix}", 3.0, sr=44100, channels=2, format=fmt)
    y = load_audio(path)
    assert y.ndim == 1 and y.dtype == np.float32
    assert len(y) == pytest.approx(3.0 * SAMPLE_RATE, rel=0.02)  # mp3 pads a few frames


def test_eight_channels_at_192_khz_load(tmp_path):
    y = load_audio(write_tone(tmp_path / "surround.wav", 2.5, sr=192000, channels=8))
    assert len(y) == pytest.approx(2.5 * SAMPLE_RATE, rel=0.01)


def test_path_with_spaces_and_non_ascii_loads(tmp_path):
    folder = tmp_path / "Música de baile ♪"
    folder.mkdir()
    soundfile.write(str(folder / "canción 1.wav"), synthesize_demo_song(bars=2), SAMPLE_RATE)
    assert len(load_audio(folder / "canción 1.wav")) > 0


@pytest.mark.parametrize(
    "make, message",
    [
        *BAD_SONGS,
        pytest.param(lambda p: p.write_bytes(b"RIFF\x00\x01" * 100), "not a readable", id="riff"),
        pytest.param(lambda p: p.mkdir(), "is a directory", id="directory"),
        pytest.param(lambda p: None, "no such file", id="missing"),
    ],
)
def test_bad_audio_raises_a_clear_error(tmp_path, make, message):
    path = tmp_path / "song.wav"
    make(path)
    with pytest.raises(AudioLoadError, match=message):
        load_audio(path)


def test_truncated_file_raises(tmp_path):
    full = write_tone(tmp_path / "full.ogg", 6.0, format="OGG").read_bytes()
    truncated = tmp_path / "truncated.ogg"
    truncated.write_bytes(full[: len(full) // 3])
    with pytest.raises(AudioLoadError):
        load_audio(truncated)


def test_an_8_khz_song_loads_at_the_analysis_rate(tmp_path):
    y = load_audio(write_tone(tmp_path / "phone.wav", 3.0, sr=8000))
    assert len(y) == pytest.approx(3.0 * SAMPLE_RATE, rel=0.01)


def test_an_unreadable_file_raises_a_clear_error(tmp_path):
    import os

    path = write_tone(tmp_path / "locked.wav", 3.0)
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads any file: there is no unreadable file to test
        pytest.skip("running as a user who can read any file")
    with pytest.raises(AudioLoadError, match="locked.wav"):
        load_audio(path)


def test_the_dance_starts_when_the_music_starts_and_stops_when_it_stops(tmp_path):
    """Digital silence before and after the music: no beats there, the dancer still there."""
    from core.body.motion import DEFAULT_FPS
    from core.generate import generate_dances

    groove = synthesize_demo_song(bars=6)  # 12 s at 120 BPM
    lead, tail = 6.0, 20.0
    song = np.concatenate(
        [np.zeros(int(lead * SAMPLE_RATE)), groove, np.zeros(int(tail * SAMPLE_RATE))]
    )
    path = tmp_path / "quiet ends.wav"
    soundfile.write(str(path), song, SAMPLE_RATE)
    for choreographer in ("library", "procedural"):
        analysis, (dance,) = generate_dances(path, [0], choreographer=choreographer)
        start, end = analysis.music  # the groove's last hit rings out a second before its end
        assert start == pytest.approx(lead, abs=0.1) and lead + 11.5 < end < lead + 13.0
        beats = analysis.beat_track.beats
        assert beats[0] > lead - 0.3 and beats[-1] < end + 0.3 and len(beats) >= 20
        np.testing.assert_array_equal(dance.beats, beats)
        speed = np.linalg.norm(np.diff(dance.joint_positions(), axis=0), axis=-1).max(axis=1)
        frame = np.arange(len(speed)) / DEFAULT_FPS
        assert speed[frame < lead - 1.0].max() < 1e-6, choreographer  # held, not danced
        assert speed[frame > end + 1.0].max() < 1e-6, choreographer
        assert speed[(frame > lead + 1) & (frame < end - 1)].mean() > 1e-3  # dances between


@pytest.mark.parametrize("level", [0.5, -0.3])
def test_a_constant_level_is_refused_as_no_sound(tmp_path, level):
    from core.analysis import analyze_song

    path = tmp_path / "dc.wav"
    soundfile.write(str(path), np.full(10 * SAMPLE_RATE, level, dtype=np.float32), SAMPLE_RATE)
    with pytest.raises(AudioLoadError, match="no sound"):
        analyze_song(path)


def test_a_short_song_in_a_long_silence_is_found_not_refused():
    from core.analysis import audible_span
    from core.audio.spectrum import sound_level

    groove = synthesize_demo_song(bars=1)[: int(2.5 * SAMPLE_RATE)]
    song = np.concatenate([np.zeros(30 * SAMPLE_RATE), groove, np.zeros(40 * SAMPLE_RATE)])
    _, level, times = sound_level(song.astype(np.float32), SAMPLE_RATE)
    start, end = audible_span(level, times, len(song) / SAMPLE_RATE)
    assert start == pytest.approx(30.0, abs=0.1) and 31.5 < end < 32.6


def test_decoding_a_block_at_a_time_gives_the_samples_of_decoding_whole(tmp_path):
    """An hour is decoded and resampled in blocks to bound memory; the samples stay those of
    reading the file whole and resampling it at once (``mono_at``)."""
    from core.audio.decode import DECODE_BLOCK_FRAMES, mono_at

    rate = 44100
    groove = np.interp(
        np.arange(int(15 * rate)) / rate,
        np.arange(15 * SAMPLE_RATE) / SAMPLE_RATE,
        np.resize(synthesize_demo_song(bars=4), 15 * SAMPLE_RATE),
    )
    assert len(groove) > 2 * DECODE_BLOCK_FRAMES
    path = tmp_path / "cd.wav"
    soundfile.write(str(path), np.stack([groove, 0.5 * groove], axis=1), rate, subtype="FLOAT")
    whole, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    np.testing.assert_array_equal(load_audio(path), mono_at(whole, rate, SAMPLE_RATE))
