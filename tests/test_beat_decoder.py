"""The beat and downbeat decoder on synthetic activations whose answers are known."""

import mir_eval
import numpy as np
import pytest

from core.beats.beat_track import median_tempo
from core.beats.decoder import (
    MAX_BPM,
    MIN_BPM,
    BeatStateSpace,
    bar_novelty,
    decode_bars,
    decode_beats,
    music_span,
)

FPS = 50.0


def activation_at(times: np.ndarray, n_frames: int, height: float = 0.9) -> np.ndarray:
    """Peaks one frame wide (Gaussian, 20 ms) at ``times`` over a small noise floor."""
    t = np.arange(n_frames) / FPS
    act = np.full(n_frames, 0.02)
    for time in times:
        act += height * np.exp(-0.5 * ((t - time) / 0.02) ** 2)
    return np.clip(act, 0.0, 1.0)


def f_measure(reference: np.ndarray, estimate: np.ndarray) -> float:
    return mir_eval.beat.f_measure(reference, estimate)


@pytest.mark.parametrize("bpm", [60.0, 90.0, 128.0, 200.0])
def test_constant_tempo_is_found_at_its_own_metrical_level(bpm):
    beats = 1.0 + np.arange(0.0, 40.0, 60.0 / bpm)
    found = decode_beats(activation_at(beats, int(45 * FPS)), FPS)
    assert f_measure(beats, found) > 0.98
    assert median_tempo(found) == pytest.approx(bpm, rel=0.02)


def test_tempo_change_is_followed():
    beats = np.concatenate([np.arange(2.0, 40.0, 0.5), 40.0 + np.arange(0.0, 40.0, 60.0 / 90)])
    found = decode_beats(activation_at(beats, int(82 * FPS)), FPS)
    assert f_measure(beats, found) > 0.97
    assert median_tempo(found[found < 38]) == pytest.approx(120.0, rel=0.02)
    assert median_tempo(found[found > 42]) == pytest.approx(90.0, rel=0.02)


def test_off_grid_beats_are_placed_between_frames():
    """A beat period of 25.5 frames (117.6 BPM) is tracked to well under a frame."""
    beats = 1.0 + np.arange(60) * 25.5 / FPS
    found = decode_beats(activation_at(beats, int(33 * FPS)), FPS)
    assert len(found) == len(beats)
    assert np.max(np.abs(found - beats)) < 0.5 / FPS


def test_silence_before_and_after_the_music_holds_no_beats():
    beats = np.arange(10.0, 30.0, 0.5)
    act = activation_at(beats, int(40 * FPS))
    act[: int(9.5 * FPS)] = 0.0
    act[int(30.5 * FPS) :] = 0.0
    found = decode_beats(act, FPS)
    assert found.min() > 9.9 and found.max() < 30.1
    assert f_measure(beats, found) > 0.98


def test_a_tempo_estimate_settles_the_metrical_level():
    """Peaks at 140 BPM, every other one weak: alone they read as 70 BPM; a tempo estimate
    peaked at 140 BPM (the tempo head's job) brings back the weak beats."""
    beats = 1.0 + np.arange(0.0, 40.0, 60.0 / 140)
    act = activation_at(beats[::2], int(45 * FPS)) + activation_at(beats[1::2], int(45 * FPS), 0.25)
    assert median_tempo(decode_beats(act, FPS)) == pytest.approx(70.0, rel=0.03)
    intervals = BeatStateSpace.for_tempi(FPS, MIN_BPM, MAX_BPM).intervals
    tempo = np.exp(-0.5 * ((intervals - 60.0 * FPS / 140) / 1.0) ** 2)
    found = decode_beats(act, FPS, tempo_probabilities=tempo / tempo.sum())
    assert f_measure(beats, found) > 0.98
    with pytest.raises(ValueError, match="tempo probabilities"):
        decode_beats(act, FPS, tempo_probabilities=np.ones(3) / 3)


def test_no_activation_gives_no_beats():
    assert len(decode_beats(np.zeros(500), FPS)) == 0
    assert music_span(np.zeros(10)) == (0, 0)


@pytest.mark.parametrize(("meter", "phase"), [(3, 0), (3, 2), (4, 1), (4, 3)])
def test_bar_decoding_finds_meter_and_phase(meter, phase):
    beats = np.arange(1.0, 41.0, 0.5)
    downbeats = beats[phase::meter]
    rng = np.random.default_rng(meter * 10 + phase)
    # Noisy downbeat evidence: every downbeat a bit stronger than the beats around it on average.
    down_act = activation_at(downbeats, int(42 * FPS), height=0.6)
    down_act += activation_at(beats, int(42 * FPS), height=0.25) - 0.02
    down_act = np.clip(down_act + rng.uniform(0.0, 0.2, len(down_act)), 0.0, 1.0)
    assert_bars(decode_bars(beats, down_act, FPS), beats, meter, phase)


@pytest.mark.parametrize("meter", [3, 4])
def test_weak_downbeat_evidence_does_not_favour_the_longer_bar(meter):
    """Downbeat activation 0.15 at the downbeats and 0.1 at the other beats: taken as plain
    likelihoods, a 3/4 song reads as 4/4, whose fewer downbeats each cost log(0.15)."""
    beats = np.arange(1.0, 41.0, 0.5)
    down_act = activation_at(beats, int(42 * FPS), height=0.08)
    down_act += activation_at(beats[::meter], int(42 * FPS), height=0.05)
    assert_bars(decode_bars(beats, down_act, FPS), beats, meter, 0)


@pytest.mark.parametrize("phase", [0, 1, 3])
def test_where_the_sound_changes_every_four_beats_is_the_downbeat(phase):
    """No downbeat evidence from the network at all, but a chord (a mel band's level) that
    changes on every fourth beat from beat ``phase``: the bar novelty finds the bars."""
    beats = np.arange(1.0, 41.0, 0.5)
    frames = int(42 * FPS)
    log_mel = np.zeros((frames, 8))
    rng = np.random.default_rng(phase)
    bar_lines = np.r_[0, np.round(beats[phase::4] * FPS).astype(int), frames]
    for k, (a, b) in enumerate(zip(bar_lines[:-1], bar_lines[1:], strict=True)):
        log_mel[a:b, k % 8] += 3.0  # each bar its own chord
    log_mel += rng.normal(0.0, 0.3, log_mel.shape)
    novelty = bar_novelty(log_mel, FPS, beats)
    assert novelty.shape == beats.shape and abs(novelty.mean()) < 1e-9
    flat = activation_at(beats, frames, height=0.2)
    assert_bars(decode_bars(beats, flat, FPS, novelty=novelty), beats, 4, phase)


def assert_bars(decoded, beats, meter, phase):
    beats_per_bar, downbeats = decoded
    assert beats_per_bar == meter
    np.testing.assert_array_equal(downbeats, np.arange(phase, len(beats), meter))


def bar_evidence(downbeats, beats, n_frames, seed):
    """Noisy downbeat activation: each downbeat a bit stronger than the beats around it."""
    act = activation_at(downbeats, n_frames, height=0.6)
    act += activation_at(beats, n_frames, height=0.25) - 0.02
    rng = np.random.default_rng(seed)
    return np.clip(act + rng.uniform(0.0, 0.2, n_frames), 0.0, 1.0)


@pytest.mark.parametrize("dropped", [41, 42])
def test_bar_decoding_follows_a_dropped_beat(dropped):
    """The tracker missed one beat halfway (the music's bars go on): the downbeats after it
    are one tracked beat earlier, and the decoder follows them, where one phase for the
    whole song would miss half of them."""
    music_beats = np.arange(1.0, 41.0, 0.5)
    music_downbeats = music_beats[::4]
    beats = np.delete(music_beats, dropped)
    act = bar_evidence(music_downbeats, beats, int(42 * FPS), seed=dropped)
    meter, downbeats = decode_bars(beats, act, FPS)
    assert meter == 4
    np.testing.assert_array_equal(beats[downbeats], music_downbeats)


def test_bar_decoding_follows_a_change_of_meter():
    """Twenty bars of 4/4, then twenty of 3/4: the downbeats of both, and the meter of most
    bars."""
    beats = np.arange(1.0, 71.0, 0.5)
    downbeats = np.r_[np.arange(0, 80, 4), np.arange(80, 140, 3)]
    act = bar_evidence(beats[downbeats], beats, int(72 * FPS), seed=3)
    meter, decoded = decode_bars(beats, act, FPS)
    assert meter == 3  # twenty bars of three against twenty of four: the earlier meter
    np.testing.assert_array_equal(decoded, downbeats)


def test_one_odd_downbeat_does_not_move_the_bars():
    """A single beat off the bar that reads as a downbeat (a crash cymbal on beat three) costs
    less than two phase jumps: the bars stay where the rest of the song has them."""
    beats = np.arange(1.0, 41.0, 0.5)
    act = bar_evidence(beats[::4], beats, int(42 * FPS), seed=5)
    act = np.maximum(act, activation_at(beats[[42]], len(act), height=0.95))
    assert_bars(decode_bars(beats, act, FPS), beats, 4, 0)


def test_state_space_covers_the_tempo_range():
    space = BeatStateSpace.for_tempi(FPS, 60.0, 200.0)
    assert space.intervals[0] <= 15 and space.intervals[-1] >= 50
    assert space.n_states == space.intervals.sum()
    np.testing.assert_array_equal(space.last[:-1] + 1, space.first[1:])
    rows = np.exp(space.log_tempo_transitions(100.0)).sum(axis=1)
    np.testing.assert_allclose(rows, 1.0)
