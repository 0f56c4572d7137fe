"""BeatTrack with downbeats decoded one by one: bars that restart early or late, or change
meter, reach the bar phase, a trimmed track and the choreographers' bar grid."""

import numpy as np
import pytest

from core.beats.beat_track import BeatTrack
from core.choreography.bars import bar_grid

BEATS = 0.5 + 0.5 * np.arange(40)  # 120 BPM from 0.5 s
# Bars of 4 from beat 1, one of 7 beats (a bar restarting a beat late, then a whole bar),
# one of 5, then bars of 4 again.
DOWNBEATS = np.array([1, 5, 9, 16, 21, 25, 29, 33, 37])


def irregular_track(accents=None) -> BeatTrack:
    return BeatTrack(BEATS, 4, 1, "motionbeat", accents=accents, downbeat_indices=DOWNBEATS)


def test_downbeats_and_bar_phase_follow_the_decoded_bars():
    track = irregular_track()
    np.testing.assert_array_equal(track.downbeats, BEATS[DOWNBEATS])
    phase = track.bar_phase
    assert phase.dtype == np.float32 and phase.shape == BEATS.shape
    np.testing.assert_array_equal(np.flatnonzero(phase == 0), DOWNBEATS)
    assert phase[0] == 0.75  # the beat before the first downbeat, counted back in 4
    np.testing.assert_allclose(phase[9:16], np.arange(7) / 7, rtol=1e-6)
    np.testing.assert_allclose(phase[37:], [0, 0.25, 0.5])
    regular = BeatTrack(BEATS, 4, 1, "given")
    np.testing.assert_array_equal(np.flatnonzero(regular.bar_phase == 0), np.arange(1, 40, 4))


def test_a_trimmed_track_keeps_its_downbeats():
    track = irregular_track()
    trimmed = track.within(BEATS[12], BEATS[30])  # from inside the bar of seven
    np.testing.assert_array_equal(trimmed.downbeats, BEATS[[16, 21, 25, 29]])
    assert trimmed.first_downbeat_index == 16 - 12
    inside = track.within(BEATS[10], BEATS[14])  # no downbeat kept: bars counted on from 9
    assert inside.downbeat_indices is None and inside.first_downbeat_index == 3


def test_bar_grid_starts_every_bar_on_a_decoded_downbeat():
    accents = np.arange(40, dtype=np.float64) % 4
    grid = bar_grid(irregular_track(accents), 0.0, 20.5)
    bar_lines = grid.beat_times[::4]
    for downbeat in BEATS[DOWNBEATS]:
        assert np.isclose(bar_lines, downbeat).any(), downbeat
    # Seven beats become two bars of four, 0.875 beats each; five become one, of 1.25.
    seven = (bar_lines >= BEATS[9] - 1e-9) & (bar_lines < BEATS[16] - 1e-9)
    assert seven.sum() == 2
    steps = np.diff(grid.beat_times)
    assert np.isclose(steps.min(), 0.5 * 7 / 8) and np.isclose(steps.max(), 0.5 * 5 / 4)
    assert grid.beat_times[0] <= 0.0 and grid.beat_times[-1] >= 20.5
    assert (len(grid.beat_times) - 1) % 4 == 0 and np.all(steps > 0)


def test_regular_bars_give_the_grid_they_always_gave():
    regular = BeatTrack(BEATS, 4, 1, "given")
    decoded = BeatTrack(BEATS, 4, 1, "motionbeat", downbeat_indices=np.arange(1, 40, 4))
    np.testing.assert_array_equal(
        bar_grid(regular, 0.0, 20.5).beat_times, bar_grid(decoded, 0.0, 20.5).beat_times
    )


@pytest.mark.parametrize("meter", [2, 5, 6])
def test_a_meter_the_choreographers_cannot_dance_is_refused(meter):
    with pytest.raises(ValueError, match="beats a bar"):
        BeatTrack.given(BEATS, BEATS[::meter], meter)


def test_downbeats_must_start_at_the_first_downbeat():
    with pytest.raises(ValueError, match="first_downbeat_index"):
        BeatTrack(BEATS, 4, 0, "motionbeat", downbeat_indices=DOWNBEATS)


def test_an_annotated_track_keeps_its_bars_as_annotated():
    """Labels with a bar of seven among bars of four (downbeats a few ms off their beats, as
    annotations are): the track's downbeats are the annotated ones, not every fourth beat."""
    track = BeatTrack.given(BEATS + 0.003, BEATS[DOWNBEATS] - 0.004, 4)
    np.testing.assert_array_equal(track.downbeat_index, DOWNBEATS)
    assert track.first_downbeat_index == 1 and track.tracker == "given"
