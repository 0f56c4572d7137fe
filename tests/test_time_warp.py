"""The motion's own beats, the time warp onto music beats, and the pseudo-pairs built from them."""

import numpy as np
import pytest

from core.analysis import SongAnalysis
from core.beats.beat_track import BeatTrack
from core.choreography.procedural import choreograph
from core.choreography.time_warp import motion_beats, warp_onto_beats
from core.metrics import beat_align_score, beat_hit_rate
from tests.conftest import SHARED_DATA, require_shared_data


def grid_dance(bpm: float, seconds: float = 20.0, seed: int = 0):
    beats = np.arange(0.5, seconds, 60.0 / bpm)
    return choreograph(SongAnalysis(seconds, BeatTrack(beats, 4, 0, tracker="given")), seed=seed)


def test_the_beats_of_a_dance_on_a_grid_are_found_on_the_grid():
    dance = grid_dance(100.0)
    found = motion_beats(dance)
    grid = dance.beats[dance.beats < dance.duration - 1.0]
    distance = np.abs(found[:, None] - grid[None, :]).min(axis=1)
    assert np.mean(distance <= 2 / dance.fps) > 0.8
    assert 60.0 / np.median(np.diff(found)) == pytest.approx(100.0, rel=0.1)


def test_a_warped_dance_lands_its_beats_on_the_new_music_beats():
    dance = grid_dance(100.0)
    music = 1.0 + np.arange(30) * 60.0 / 125.0  # faster music, starting later
    warped = warp_onto_beats(dance, dance.beats, music, 30.0)
    assert warped.fps == 30.0
    assert warped.duration == pytest.approx(music[-1] - music[0], abs=2 / 30)
    joints = warped.joint_positions()
    on_beat = beat_hit_rate(joints, 30.0, music - music[0])
    half_off = beat_hit_rate(joints, 30.0, music - music[0] + 0.24)
    assert on_beat > 0.8 and half_off < 0.3


def test_warping_needs_two_beats():
    with pytest.raises(ValueError, match="two beats"):
        warp_onto_beats(grid_dance(100.0), np.array([0.5]), np.array([0.5, 1.0]), 30.0)


def test_real_capture_warped_onto_a_grid_is_in_time_with_it():
    """Over every third CMU capture file, the warped dances score a higher BAS on the grid they
    were warped onto than half a beat off it (``benchmarks/retarget.py`` prints the figures
    per rig). Single clips vary: some have too few clear stops for their beats to be found."""
    from core.motion_files.load import load_bvh_motion

    motion_folder = require_shared_data(SHARED_DATA / "motion")
    files = sorted(motion_folder.glob("cmu_subject05_bvh/05/*.bvh"))
    files += sorted(motion_folder.glob("cmu_salsa_60_61/*.bvh"))
    aligned, shifted = [], []
    for path in files[::3]:
        motion = load_bvh_motion(path)
        beats = motion_beats(motion)
        grid = np.arange(len(beats)) * 0.5
        joints = warp_onto_beats(motion, beats, 1.0 + grid, 30.0).joint_positions()
        aligned.append(beat_align_score(joints, 30.0, grid))
        shifted.append(beat_align_score(joints, 30.0, grid + 0.25))
    # The grid is at the dancer's beat, not the bar: about half its beats are steps through
    # which the body does not stop, so the margin is smaller than a bar-level grid's.
    assert np.mean(aligned) > 1.2 * np.mean(shifted), (np.mean(aligned), np.mean(shifted))


def test_pseudo_pairs_hold_out_whole_takes_and_match_music_to_dance():
    from core.model.config import MotionBeatConfig
    from training.encoder.pairs.pseudo import _take, pseudo_pair, pseudo_pair_sources

    require_shared_data()
    train, validation = pseudo_pair_sources()
    assert {_take(c) for c, _ in train}.isdisjoint({_take(c) for c, _ in validation})
    assert len(validation) >= 8
    config = MotionBeatConfig()
    pair = pseudo_pair(*validation[0], config)
    dance_seconds = (len(pair.joints) - 1) / pair.fps
    assert len(pair.audio) / config.sample_rate == pytest.approx(dance_seconds, abs=0.05)
    assert pair.beat_times[0] == 0.0 and pair.beat_times[-1] <= dance_seconds + 1e-6
