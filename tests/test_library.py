"""The motion library and the library choreographer."""

import time

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.body.contacts import detect_foot_contacts
from core.body.skeleton import pelvis_heading
from core.choreography.library import MotionLibrary
from core.choreography.library_build import capture_library, procedural_library
from core.choreography.motion_graph import (
    Controls,
    choose_segments,
    choreograph_from_library,
    plan_segments,
    quantised,
)
from core.choreography.procedural import choreograph
from core.choreography.stitching import _sample_segment
from core.errors import MotionFileError
from core.metrics import beat_hit_rate, foot_skate, physical_foot_contact
from core.model.checkpoint import DEFAULT_MODEL, load_model
from core.model.embedding import embed_song
from tests.conftest import SHARED_DATA, require_shared_data


@pytest.fixture(scope="module")
def model():
    return load_model(DEFAULT_MODEL, "cpu")


@pytest.fixture(scope="module")
def library(model):
    return procedural_library(model)


@pytest.fixture(scope="module")
def song(demo_song, demo_dance):
    return demo_dance[0], embed_song(demo_song)


def test_the_procedural_library_has_forty_or_more_one_bar_segments(library):
    assert len(library) >= 40
    assert np.all(np.diff(library.beats, axis=1) > 0) and np.allclose(library.beats[:, 0], 0)
    firsts = library.spans[:, 0]
    np.testing.assert_array_equal(firsts[1:], library.spans[:-1, 1])  # one take per segment
    for segment in range(0, len(library), 7):  # each is placed from where it starts
        quat, trans, _ = _sample_segment(library, segment, np.array([0.0]))
        np.testing.assert_allclose(trans[0, [0, 2]], 0.0, atol=1e-5)
        pose = Rotation.from_quat(quat[0]).as_rotvec()[None]
        np.testing.assert_allclose(pelvis_heading(pose), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(library.embeddings, axis=1), 1.0, atol=1e-5)
    assert len({frozenset(t) for t in library.tag_sets}) > 16 and not library.mirrorable.any()


def test_a_library_file_round_trips_and_loads_in_under_a_second(library, tmp_path):
    path = library.save(tmp_path / "library.npz")
    start = time.perf_counter()
    loaded = MotionLibrary.load(path)
    assert time.perf_counter() - start < 1.0
    np.testing.assert_allclose(loaded.poses, library.poses, atol=2e-3)  # float16 on disk
    assert loaded.names.tolist() == library.names.tolist()
    (tmp_path / "not.npz").write_bytes(b"PK garbage")
    with pytest.raises(MotionFileError, match="not a motion library"):
        MotionLibrary.load(tmp_path / "not.npz")


TAMPERED = {
    "NaN embeddings": ("embeddings", lambda a: np.where(np.arange(a.shape[1]) == 3, np.nan, a)),
    "spans past the frames": ("spans", lambda a: a + 10**6),
    "negative spans": ("spans", lambda a: a - 10**6),
    "short beats": ("beats", lambda a: a[:, :3]),
    "unsorted beats": ("beats", lambda a: a[:, ::-1]),
    "negative energy": ("energy", lambda a: -a - 1),
    "text poses": ("poses", lambda a: np.full(a.shape, "x")),
    "one tag short": ("tags", lambda a: a[:-1]),
    "no segments": ("names", lambda a: a[:0]),
    "embeddings not unit": ("embeddings", lambda a: 3 * a),
    "infinite frame rate": ("fps", lambda a: np.array(np.inf)),
    "fractional spans": ("spans", lambda a: a + 0.5),
    "stops not boolean": ("stops", lambda a: a.astype(float)),
}


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_a_tampered_library_is_refused_with_one_clear_line(library, tmp_path, case):
    name, change = TAMPERED[case]
    with np.load(library.save(tmp_path / "good.npz")) as data:
        arrays = {k: data[k] for k in data.files}
    arrays[name] = change(arrays[name])
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(MotionFileError) as error:
        MotionLibrary.load(tmp_path / "bad.npz")
    assert str(error.value).startswith("bad.npz: ") and "\n" not in str(error.value)


def test_captured_motion_is_cut_at_its_own_beats_at_three_levels_and_mirrored(model, tmp_path):
    from core.motion_files.load import load_bvh_motion

    path = require_shared_data(SHARED_DATA / "motion" / "cmu_salsa_60_61" / "60_01_scaled.bvh")
    library = capture_library([("60_01", load_bvh_motion(path), "salsa")], model)
    assert len(library) >= 3 and library.tag_sets[0] == {"salsa"}
    lengths = (library.spans[:, 1] - library.spans[:, 0] - 1) / library.fps
    np.testing.assert_allclose(library.beats[:, -1], lengths, atol=0.5 / library.fps)
    # Segments of 2, 4 and 8 of the take's own beats: its speed is never changed to cut it.
    seconds = library.beats[:, -1]
    assert seconds.max() > 3.0 * seconds.min()
    assert library.mirrorable.all() and len(library.stops) == len(library.poses)
    loaded = MotionLibrary.load(library.save(tmp_path / "salsa.npz"))
    assert len(loaded) == 2 * len(library) and sum("mirrored" in t for t in loaded.tags) == len(
        library
    )
    twin = len(library)
    joints = loaded.boundary_joints
    # A mirror image's pose at its first frame is the reflection of the original's.
    np.testing.assert_allclose(
        joints[twin:, 0, :, 0].mean(axis=1), -joints[:twin, 0, :, 0].mean(axis=1), atol=0.03
    )
    np.testing.assert_allclose(loaded.embeddings[:twin], library.embeddings, atol=2e-3)


def test_the_beam_never_repeats_a_segment_at_once_and_spreads_its_choices():
    rng = np.random.default_rng(0)
    unary = rng.normal(0, 0.01, (40, 6))
    unary[:, 0] -= 1.0  # one segment fits every bar best
    transitions = np.zeros((6, 6))
    transitions[np.diag_indices(6)] = 2.0
    plan = choose_segments(quantised(unary), lambda i, c: quantised(transitions)[i, c])
    assert all(a != b for a, b in zip(plan, plan[1:], strict=False))
    assert len(set(plan)) >= 3


def test_the_library_choreographer_dances_on_the_beat_with_planted_feet(song, library):
    analysis, embedding = song
    dance = choreograph_from_library(analysis, embedding, library, 30.0, Controls(seed=0))
    first = choreograph(analysis, 30.0, seed=0)
    assert dance.n_frames == first.n_frames
    joints = dance.joint_positions()
    contacts = detect_foot_contacts(joints, 30.0)
    assert beat_hit_rate(joints, 30.0, dance.beats) > 0.8
    assert foot_skate(joints, contacts, 30.0) < 1.0  # cm/s
    # The labels the add-on keys hold the feet still too, and mostly agree with re-detection.
    assert foot_skate(joints, dance.contacts, 30.0) < 1.0
    assert np.mean(dance.contacts == contacts) > 0.8
    assert physical_foot_contact(joints, 30.0) <= 1.33  # AIST++ ground truth, by EDGE's measure


def test_the_library_choreographer_same_seed_same_dance_other_seed_other(song, library):
    analysis, embedding = song
    a = choreograph_from_library(analysis, embedding, library, 30.0, Controls(seed=1))
    b = choreograph_from_library(analysis, embedding, library, 30.0, Controls(seed=1))
    c = choreograph_from_library(analysis, embedding, library, 30.0, Controls(seed=2))
    np.testing.assert_array_equal(a.poses, b.poses)
    assert not np.allclose(a.poses, c.poses)


def test_avoided_styles_are_never_chosen_and_preferred_ones_are(song, library):
    analysis, embedding = song
    tags = library.tag_sets
    avoided, _ = plan_segments(analysis, embedding, library, Controls(avoid=("bounce", "lively")))
    assert not any(tags[s] & {"bounce", "lively"} for s in avoided)
    preferred, _ = plan_segments(analysis, embedding, library, Controls(prefer=("twist",)))
    plain, _ = plan_segments(analysis, embedding, library, Controls())
    count = lambda plan: sum("twist" in tags[s] for s in plan)  # noqa: E731
    assert count(preferred) > count(plain)


def test_the_shipped_procedural_library_is_what_the_build_makes_today(library, tmp_path):
    """Regenerate it (README, 'motionbeat library build --procedural') when moves or the model
    change."""
    from core.choreography.library import built_in_library

    shipped = built_in_library("procedural")
    fresh = MotionLibrary.load(library.save(tmp_path / "procedural.npz"))
    assert shipped.names.tolist() == fresh.names.tolist()
    np.testing.assert_allclose(shipped.poses, fresh.poses, atol=1e-3)
    np.testing.assert_allclose(shipped.embeddings, fresh.embeddings, atol=2e-3)


def test_the_shipped_default_library_is_what_the_build_makes_today_from_the_cmu_captures(
    model, tmp_path
):
    """Regenerate it (README, 'motionbeat library build --cmu') when the captures, the cutting
    or the model change."""
    from core.choreography.library import default_library
    from core.choreography.library_build import cmu_library

    require_shared_data(SHARED_DATA / "motion")
    fresh = MotionLibrary.load(cmu_library(SHARED_DATA / "motion", model).save(tmp_path / "c.npz"))
    shipped = default_library()
    assert shipped.names.tolist() == fresh.names.tolist()
    assert {"salsa", "modern", "whirl", "mirrored"} <= set().union(*shipped.tag_sets)
    np.testing.assert_array_equal(shipped.spans, fresh.spans)
    np.testing.assert_allclose(shipped.poses, fresh.poses, atol=2e-3)
    np.testing.assert_allclose(shipped.trans, fresh.trans, atol=1e-4)
    np.testing.assert_allclose(shipped.embeddings, fresh.embeddings, atol=5e-3)


def test_the_energy_control_moves_the_choice_to_calmer_or_livelier_bars(song, library):
    analysis, embedding = song
    calm, _ = plan_segments(analysis, embedding, library, Controls(energy=-1.0))
    lively, _ = plan_segments(analysis, embedding, library, Controls(energy=1.0))
    assert library.energy[calm].mean() < library.energy[lively].mean()


def test_a_3_4_song_dances_in_bars_of_three_and_its_tokens_count_bars_of_three(demo_song):
    """The tracker's meter reaches the encoder's bar phase, the bar grid and the segments."""
    from dataclasses import replace

    from core.analysis import analyze_audio
    from core.audio.decode import load_audio
    from core.beats.beat_track import BeatTrack
    from core.choreography.library import default_library
    from core.model.embedding import embed_audio

    y = load_audio(demo_song)
    analysis = analyze_audio(y)
    waltz = replace(analysis, beat_track=BeatTrack(analysis.beat_track.beats, 3, 1, "given"))
    embedding = embed_audio(y, waltz.beat_track)
    bar_beats = np.searchsorted(waltz.beat_track.beats, embedding.bar_times)
    assert set(np.diff(bar_beats[1:])) == {3} and bar_beats[1] % 3 == 1  # [0]: a pickup bar
    library = default_library()
    plan, bars = plan_segments(waltz, embedding, library, Controls(seed=0))
    assert bars.shape == (len(plan), 4)
    inside = (bars[:, 0] >= waltz.beat_track.beats[0]) & (bars[:, 0] <= waltz.beat_track.beats[-1])
    assert np.isin(bars[inside, 0], waltz.beat_track.downbeats).all()
    three = library.in_bars_of(3)
    assert three.beats.shape == (len(library), 4) and library.in_bars_of(3) is three
    lengths = three.spans[:, 1] - three.spans[:, 0] - 1
    np.testing.assert_allclose(lengths / library.fps, three.beats[:, -1], atol=0.5 / library.fps)
    dance = choreograph_from_library(waltz, embedding, library, 30.0, Controls(seed=0))
    # as well on the beat as in 4/4 (0.18 to 0.22 over seeds 0 to 2 on this song)
    assert beat_hit_rate(dance.joint_positions(), 30.0, waltz.beat_track.beats) >= 0.15
