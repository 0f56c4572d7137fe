"""The default dance is real captured dance at its natural speed, on the beat, on a stage."""

from dataclasses import replace

import numpy as np
import pytest

from core.analysis import analyze_audio
from core.audio.decode import SAMPLE_RATE, load_audio
from core.body.skeleton import forward_kinematics, mirror_motion
from core.choreography.library import default_library
from core.choreography.motion_graph import (
    Controls,
    choreograph_from_library,
    cosine_similarities,
    plan_segments,
    warp_factors,
)
from core.choreography.stitching import (
    MAX_WARP,
    accent_warp,
    assemble,
    beat_anchors,
    metrical_accents,
)
from core.choreography.time_warp import motion_beats
from core.metrics import (
    accent_alignment,
    beat_align_score,
    beat_hit_rate,
    foot_skate,
    hold_share,
    mean_joint_speed,
    turns_per_minute,
)
from core.model.embedding import embed_audio
from tests.conftest import SHARED_DATA, require_shared_data
from tests.test_time_warp import grid_dance


@pytest.fixture(scope="module")
def real_song_dance(real_song):
    y = load_audio(real_song)
    analysis = analyze_audio(y)
    embedding = embed_audio(y, analysis.beat_track)
    return analysis, embedding


@pytest.mark.parametrize("bpm", [80.0, 120.0, 180.0])
def test_a_dance_s_tempo_is_found_at_its_own_level_not_half_or_double(bpm):
    found = motion_beats(grid_dance(bpm, seconds=24.0))
    assert 60.0 / np.median(np.diff(found)) == pytest.approx(bpm, rel=0.08)


def test_the_salsa_is_counted_in_its_steps_of_the_count_of_eight():
    """A salsa basic (quick, quick, slow) repeats every four counts, about 1.45 s at the
    captures' 165 BPM: its grid is at one count or two, never at three."""
    from core.motion_files.load import load_bvh_motion

    folder = require_shared_data(SHARED_DATA / "motion" / "cmu_salsa_60_61")
    for path in sorted(folder.glob("6[01]_0[1-3]_scaled.bvh")):
        period = np.median(np.diff(motion_beats(load_bvh_motion(path))))
        counts = 1.45 / period
        assert min(abs(counts - 4), abs(counts - 2)) < 0.5, (path.name, period)


def test_kinematic_beats_are_anchored_on_music_beats_within_the_warp_window():
    bar = np.array([10.0, 10.5, 11.0, 11.5, 12.0])
    segment = np.array([0.0, 0.45, 0.9, 1.35, 1.8])  # natural speed: the bar is 2 s
    music, own = beat_anchors(bar, segment, np.array([0.5, 1.3, 1.75]))
    assert music[0] == 10.0 and music[-1] == 12.0 and own[0] == 0.0 and own[-1] == 1.8
    assert {10.5, 11.5} <= set(music.tolist())  # stops 0.5 and 1.3 land on beats 2 and 4
    ratios = np.diff(music) / np.diff(own)
    assert np.all(np.abs(np.log(ratios)) <= np.log(MAX_WARP) + 1e-9)


@pytest.mark.parametrize("bar", [[10.0, 10.5, 11.0, 11.5, 12.0], [3.0, 3.6, 4.2, 4.8]])
def test_the_beat_accent_keeps_every_beat_s_time_and_swings_the_speed_between(bar):
    bar = np.array(bar)
    times = np.linspace(bar[0], bar[-1], 601)
    strengths = metrical_accents(len(bar) - 1)
    np.testing.assert_array_equal(accent_warp(times, bar, 0.0, strengths), times)
    warped = accent_warp(times, bar, 0.5, strengths)
    np.testing.assert_allclose(accent_warp(bar, bar, 0.5, strengths), bar, atol=1e-12)
    rate = np.diff(warped) / np.diff(times)
    assert rate.min() == pytest.approx(0.5, abs=0.01) and rate.max() == pytest.approx(1.5, abs=0.01)
    # Slowest on the downbeat and on the bar's middle beat; on every beat of a bar of three.
    slowest = times[1:][rate < 0.51]
    strong = bar[::2] if len(bar) == 5 else bar
    assert np.all(np.abs(slowest[:, None] - strong[None, :]).min(axis=1) < 0.05)


@pytest.mark.parametrize("accent", [0.5, 0.9])
def test_the_beat_accent_never_runs_time_backwards_whatever_the_strengths(accent):
    bar = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    times = np.linspace(0.0, 2.0, 4001)
    for strengths in ([1, -1, 1, -1, 1], [1, 1, -1, -1, 1], [-1, 0.3, 1, -0.7, 1]):
        rate = np.diff(accent_warp(times, bar, accent, np.array(strengths))) / np.diff(times)
        assert rate.min() > 1.0 - accent - 1e-3 and rate.max() < 1.0 + accent + 1e-3


def test_the_beat_accent_lands_the_dancer_s_braking_on_the_strong_beats(real_song_dance):
    analysis, embedding = real_song_dance
    track = analysis.beat_track
    library = default_library()
    own, accented = (
        choreograph_from_library(analysis, embedding, library, 30.0, Controls(accent=a))
        for a in (0.0, 0.5)
    )
    own_joints, joints = own.joint_positions(), accented.joint_positions()
    assert beat_hit_rate(joints, 30.0, track.downbeats) > 0.6
    assert (
        beat_hit_rate(joints, 30.0, track.downbeats)
        > beat_hit_rate(own_joints, 30.0, track.downbeats) + 0.1
    )
    assert beat_align_score(joints, 30.0, track.beats) > beat_align_score(
        own_joints, 30.0, track.beats
    )
    # The same segments, as fast on average: a bar's path length is the capture's.
    assert mean_joint_speed(joints, 30.0) == pytest.approx(
        mean_joint_speed(own_joints, 30.0), rel=0.05
    )
    # Slowing into the beats does not make the dancer stand still. (The share itself swings
    # from 0 to 0.14 between seeds on this 52-s song; benchmarks/dance_quality.py gives it
    # over 115 songs.)
    assert hold_share(joints, 30.0) < hold_share(own_joints, 30.0) + 0.02


def test_a_mirrored_motion_is_the_reflection_of_the_original():
    dance = grid_dance(100.0, seconds=4.0)
    poses, trans, contacts = mirror_motion(dance.poses, dance.trans, dance.contacts)
    joints = forward_kinematics(dance.poses, dance.trans)[0]
    mirrored = forward_kinematics(poses, trans)[0]
    reflected = joints[:, [0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 19, 18,
                           21, 20, 23, 22]] * [-1.0, 1.0, 1.0]  # fmt: skip
    # SMPL's rest offsets are not exactly symmetric: joints agree to about a centimetre.
    assert np.abs(mirrored - reflected).max() < 0.03
    np.testing.assert_array_equal(contacts, dance.contacts[:, [2, 3, 0, 1]])


def test_the_default_dance_is_captured_motion_at_its_natural_speed(real_song_dance):
    analysis, embedding = real_song_dance
    library = default_library()
    plan, bar_beats = plan_segments(analysis, embedding, library, Controls())
    warp = warp_factors(library, bar_beats)[np.arange(len(plan)), plan]
    assert np.all(np.abs(np.log(warp)) <= np.log(MAX_WARP))
    continued = np.mean([library.follows[a] == b for a, b in zip(plan, plan[1:], strict=False)])
    assert continued > 0.2  # whole phrases of the capture, not a bar at a time

    dance = choreograph_from_library(analysis, embedding, library, 30.0, Controls())
    joints = dance.joint_positions()
    # On this one 52-s song the share swings from 0 to 0.14 between seeds (0.04 over the 115
    # songs of benchmarks/dance_quality.py); the procedural moves hold 0.3 of the time.
    assert hold_share(joints, 30.0) < 0.15
    assert 0.35 < mean_joint_speed(joints, 30.0) < 1.0
    assert turns_per_minute(joints, 30.0) < 25.0
    assert foot_skate(joints, dance.contacts, 30.0) < 3.0  # cm/s on the keyed contacts
    # In time: more on the beat than half a beat off it.
    beats = analysis.beat_track.beats
    offbeat = beats[:-1] + np.diff(beats) / 2
    assert beat_align_score(joints, 30.0, beats) > beat_align_score(joints, 30.0, offbeat)


@pytest.mark.parametrize("radius", [1.0, 3.0])
def test_the_dancer_keeps_to_the_stage(real_song_dance, radius):
    analysis, embedding = real_song_dance
    controls = Controls(stage_radius=radius)
    dance = choreograph_from_library(analysis, embedding, default_library(), 30.0, controls)
    reach = np.linalg.norm(dance.trans[:, [0, 2]], axis=1)
    assert np.percentile(reach, 95) < radius + 1.0


def test_dancing_in_place_keeps_the_turns_and_drops_the_travel(real_song_dance):
    analysis, embedding = real_song_dance
    library = default_library()
    free = choreograph_from_library(analysis, embedding, library, 30.0, Controls())
    still = choreograph_from_library(analysis, embedding, library, 30.0, Controls(in_place=True))
    assert np.linalg.norm(still.trans[:, [0, 2]], axis=1).max() < 0.6
    np.testing.assert_allclose(still.poses[:, 0], free.poses[:, 0], atol=1e-3)  # same turns


def test_the_music_embedding_reaches_the_choice(real_song_dance, monkeypatch):
    """Without the similarity term, or with the bars' embeddings in another order, the
    choreographer chooses other segments: MotionBeat, not only energy and transitions, picks."""
    import core.choreography.motion_graph as motion_graph

    analysis, embedding = real_song_dance
    library = default_library()
    plan, _ = plan_segments(analysis, embedding, library, Controls(diversity=0.0))
    reordered = replace(embedding, bars=embedding.bars[::-1].copy())
    other, _ = plan_segments(analysis, reordered, library, Controls(diversity=0.0))
    assert np.mean(np.array(plan) != np.array(other)) > 0.3
    monkeypatch.setattr(motion_graph, "SIMILARITY_WEIGHT", 0.0)
    deaf, _ = plan_segments(analysis, embedding, library, Controls(diversity=0.0))
    assert np.mean(np.array(plan) != np.array(deaf)) > 0.3


def test_a_song_cut_by_a_bar_shifts_its_bar_embeddings_and_their_best_segments(
    real_song_dance, real_song
):
    """Cutting the song at its second downbeat moves every bar one bar earlier: each bar's
    embedding is then its own bar's in the whole song, nearer to it than to either neighbour's,
    and the segment that matches it best (the music term of the choice) follows it."""
    analysis, embedding = real_song_dance
    y = load_audio(real_song)
    cut = analysis.beat_track.downbeats[1]
    y_cut = y[int(round(cut * SAMPLE_RATE)) :]
    shifted = embed_audio(y_cut, analyze_audio(y_cut).beat_track)
    distance = np.abs(embedding.bar_times[None, :] - (shifted.bar_times[:, None] + cut))
    pairs = [(i, int(j)) for i, j in enumerate(distance.argmin(axis=1)) if distance[i, j] < 0.05]
    assert len(pairs) > 0.9 * len(shifted.bar_times)
    inner = [(i, j) for i, j in pairs if 0 < j < len(embedding.bars) - 1]
    own = [shifted.bars[i] @ embedding.bars[j] for i, j in inner]
    neighbour = [
        max(shifted.bars[i] @ embedding.bars[j - 1], shifted.bars[i] @ embedding.bars[j + 1])
        for i, j in inner
    ]
    assert np.mean(np.array(own) > np.array(neighbour)) > 0.8  # a third by chance
    library = default_library()
    i, j = np.array(pairs).T
    best_cut = cosine_similarities(shifted.bars[i], library.embeddings).argmax(axis=1)
    best_whole = cosine_similarities(embedding.bars[j], library.embeddings).argmax(axis=1)
    assert np.mean(best_cut == best_whole) > 0.9


def test_beat_accents_are_each_beat_s_strength_against_its_own_bar():
    from core.choreography.bars import beat_accents

    quiet, loud = [1.0, 3.0, 1.0, 1.0], [10.0, 12.0, 10.0, 10.0]  # beat 2 hit hardest in both
    accents = beat_accents(np.array([*quiet, *loud, np.nan]), 4)
    np.testing.assert_allclose(accents[:4], accents[4:8])  # a loud bar is not an accent
    assert accents[1] == accents.max() == 1.0 and accents[8] == 0.0  # unknown: no accent
    np.testing.assert_array_equal(beat_accents(np.full(9, np.nan), 4), 0.0)


def test_the_dancer_brakes_into_the_beats_the_music_hits(real_song_dance, real_song):
    """With the music's accents the dance's braking follows the onset strength at each beat
    (accent alignment, bar means removed); without them it does not, and the downbeats are
    braked into either way."""
    from core.model.config import MotionBeatConfig
    from core.model.tokens import onset_envelope

    analysis, embedding = real_song_dance
    config = MotionBeatConfig()
    onset = onset_envelope(load_audio(real_song), config)
    rate = config.sample_rate / config.hop_length
    track = analysis.beat_track
    deaf = replace(analysis, beat_track=replace(track, accents=None))
    library = default_library()
    scores = {}
    for name, song in (("hearing", analysis), ("deaf", deaf)):
        joints = choreograph_from_library(song, embedding, library, 30.0).joint_positions()
        scores[name] = accent_alignment(joints, 30.0, track.beats, track.downbeats, onset, rate)
        assert beat_hit_rate(joints, 30.0, track.downbeats) > 0.6
    assert scores["hearing"] > scores["deaf"] + 0.1, scores  # 0.16 against 0.00


def test_a_change_of_segment_at_a_bar_line_is_smooth_in_pose_and_velocity():
    """Two segments that are not one take's continuation, and whose velocities differ most
    where they meet: the dance crosses their bar line without a jump in where the joints are
    or in how fast they move (inertialisation), and plays each segment as captured on the
    beats either side of the line's."""
    library = default_library().in_bars_of(4)
    boundary = library.boundary_joints.astype(np.float64)
    end_velocity, start_velocity = boundary[:, 3], boundary[:, 1]
    mismatch = np.linalg.norm(end_velocity[:, None] - start_velocity[None], axis=-1).mean(-1)
    mismatch[np.arange(len(library.spans)), library.follows.clip(0)] = 0.0
    first, second = np.unravel_index(np.argmax(mismatch), mismatch.shape)
    beats = library.beats[[first, second]]
    bar_beats = np.stack([beats[0], beats[0][-1] + beats[1]])
    rate = 240.0
    times = np.arange(0.0, bar_beats[1, -1], 1.0 / rate)
    poses, trans, _ = assemble(library, [int(first), int(second)], bar_beats, times)
    joints = forward_kinematics(poses, trans)[0]
    k = int(np.searchsorted(times, bar_beats[1, 0]))
    velocity = np.diff(joints, axis=0) * rate  # velocity[i] is between frames i and i + 1
    # Beside the line the joints move at their usual pace for the segment; the change of speed
    # across it is a small part of the jump between the two captures' velocities.
    across = np.linalg.norm(velocity[k] - velocity[k - 2], axis=-1).mean()
    assert mismatch[first, second] > 0.5  # m/s: a real jump to smooth over
    assert across < 0.15 * mismatch[first, second]  # 0.19 of it when only the pose is blended
    step = np.linalg.norm(joints[k] - joints[k - 1], axis=-1).mean()
    assert step < 2.0 * np.linalg.norm(velocity[k - 3], axis=-1).mean() / rate + 1e-3
