"""The motion library and the library choreographer (v2)."""

import time

import numpy as np
import pytest

from core.choreographer import choreograph
from core.contacts import detect_foot_contacts
from core.errors import MotionFileError
from core.library import MotionLibrary, pelvis_heading
from core.library_build import capture_library, procedural_library
from core.metrics import beat_hit_rate, foot_skate, physical_foot_contact
from core.model.checkpoint import DEFAULT_MODEL, load_model
from core.model.embedding import embed_song
from core.motion_graph import (
    Controls,
    choose_segments,
    choreograph_from_library,
    plan_segments,
    quantised,
)
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


def test_the_procedural_library_has_forty_or_more_one_bar_segments_at_the_origin(library):
    assert len(library) >= 40
    assert np.all(np.diff(library.beats, axis=1) > 0) and np.allclose(library.beats[:, 0], 0)
    firsts = library.starts[:-1]
    np.testing.assert_allclose(library.trans[firsts][:, [0, 2]], 0.0, atol=1e-5)
    np.testing.assert_allclose(pelvis_heading(library.poses[firsts]), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(library.embeddings, axis=1), 1.0, atol=1e-5)
    assert len({frozenset(t) for t in library.tag_sets()}) > 16


def test_a_library_file_round_trips_and_loads_in_under_a_second(library, tmp_path):
    path = library.save(tmp_path / "library.npz")
    start = time.perf_counter()
    loaded = MotionLibrary.load(path)
    assert time.perf_counter() - start < 1.0
    np.testing.assert_array_equal(loaded.poses, library.poses)
    assert loaded.names.tolist() == library.names.tolist()
    (tmp_path / "not.npz").write_bytes(b"PK garbage")
    with pytest.raises(MotionFileError, match="not a motion library"):
        MotionLibrary.load(tmp_path / "not.npz")


def test_captured_motion_is_cut_into_bars_at_its_beats(model):
    from core.retarget import load_bvh_motion

    path = require_shared_data(SHARED_DATA / "motion" / "cmu_salsa_60_61" / "60_01_scaled.bvh")
    library = capture_library([("60_01", load_bvh_motion(path), "salsa")], model)
    assert len(library) >= 3 and library.tag_sets()[0] == {"salsa"}
    lengths = np.diff(library.starts) / library.fps
    np.testing.assert_allclose(library.beats[:, -1], lengths - 1 / library.fps, atol=1 / 30)


def test_the_beam_never_repeats_a_segment_at_once_and_spreads_its_choices():
    rng = np.random.default_rng(0)
    unary = rng.normal(0, 0.01, (40, 6))
    unary[:, 0] -= 1.0  # one segment fits every bar best
    transitions = np.zeros((6, 6))
    transitions[np.diag_indices(6)] = 2.0
    plan = choose_segments(quantised(unary), quantised(transitions))
    assert all(a != b for a, b in zip(plan, plan[1:], strict=False))
    assert len(set(plan)) >= 3


def test_v2_dances_on_the_beat_with_planted_feet(song, library):
    analysis, embedding = song
    dance = choreograph_from_library(analysis, embedding, library, 30.0, Controls(seed=0))
    first = choreograph(analysis, 30.0, seed=0)
    assert dance.n_frames == first.n_frames
    joints = dance.joint_positions()
    contacts = detect_foot_contacts(joints, 30.0)
    assert beat_hit_rate(joints, 30.0, dance.beats) > 0.8
    assert foot_skate(joints, contacts, 30.0) < 1.0  # cm/s
    assert physical_foot_contact(joints, 30.0) <= 1.33  # AIST++ ground truth, by EDGE's measure


def test_v2_same_seed_same_dance_other_seed_other_dance(song, library):
    analysis, embedding = song
    a = choreograph_from_library(analysis, embedding, library, 30.0, Controls(seed=1))
    b = choreograph_from_library(analysis, embedding, library, 30.0, Controls(seed=1))
    c = choreograph_from_library(analysis, embedding, library, 30.0, Controls(seed=2))
    np.testing.assert_array_equal(a.poses, b.poses)
    assert not np.allclose(a.poses, c.poses)


def test_avoided_styles_are_never_chosen_and_preferred_ones_are(song, library):
    analysis, embedding = song
    tags = library.tag_sets()
    avoided, _ = plan_segments(analysis, embedding, library, Controls(avoid=("bounce", "lively")))
    assert not any(tags[s] & {"bounce", "lively"} for s in avoided)
    preferred, _ = plan_segments(analysis, embedding, library, Controls(prefer=("twist",)))
    plain, _ = plan_segments(analysis, embedding, library, Controls())
    count = lambda plan: sum("twist" in tags[s] for s in plan)  # noqa: E731
    assert count(preferred) > count(plain)


def test_the_shipped_default_library_is_what_the_build_makes_today(library):
    """Regenerate it (README, 'motionbeat library build --procedural') when moves or the model
    change."""
    from core.library import default_library

    shipped = default_library()
    assert shipped.names.tolist() == library.names.tolist()
    np.testing.assert_allclose(shipped.poses, library.poses, atol=1e-5)
    np.testing.assert_allclose(shipped.embeddings, library.embeddings, atol=1e-4)


def test_the_energy_control_moves_the_choice_to_calmer_or_livelier_bars(song, library):
    analysis, embedding = song
    calm, _ = plan_segments(analysis, embedding, library, Controls(energy=-1.0))
    lively, _ = plan_segments(analysis, embedding, library, Controls(energy=1.0))
    assert library.energy[calm].mean() < library.energy[lively].mean()
