"""Bounded fuzzing of the untrusted-file parsers (atheris), and property-based tests (hypothesis)
of the BVH parser and writer, resampling and foot contacts."""

import pickle
import resource
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.transform import Rotation

from core.body.contacts import detect_foot_contacts
from core.body.motion import Motion
from core.body.skeleton import JOINT_NAMES, forward_kinematics
from core.errors import MotionFileError
from core.motion_files.bvh import parse_bvh, write_smpl_bvh
from tests.conftest import ROOT

FUZZ_SECONDS = 20  # per parser, in CI: a bounded run, not a campaign
FUZZ_SEED = 1  # the same inputs each run, so that a failure reproduces; campaigns vary it


def small_motion(n=3, fps=30.0, seed=0):
    rng = np.random.default_rng(seed)
    return Motion(rng.normal(0, 0.4, (n, 24, 3)), rng.normal(0, 1, (n, 3)), fps, np.zeros((n, 4)))


FUZZ_RSS_MB = 4096  # what one fuzzed input may take beyond the process's start


def inherited_peak_mb() -> int:
    """This process's peak resident memory, MB. Linux carries a parent's peak into a forked
    and exec'd child's getrusage, which libFuzzer's -rss_limit_mb reads: after a memory-hungry
    test earlier in the session the fuzzer would stop at its first input."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


@pytest.mark.parametrize("target", ["bvh", "aistpp"])
def test_fuzzing_the_parsers_finds_nothing_but_motion_file_errors(target, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    if target == "bvh":
        write_smpl_bvh(small_motion(), corpus / "smpl.bvh")
    else:
        rng = np.random.default_rng(0)
        data = {
            "smpl_poses": rng.normal(0, 0.2, (2, 72)),
            "smpl_trans": rng.normal(0, 50, (2, 3)),
            "smpl_scaling": np.array([100.0]),
            "smpl_loss": np.float64(0.5),
        }
        for protocol in (2, 4, 5):  # each writes arrays and bytes its own way
            (corpus / f"aistpp{protocol}.pkl").write_bytes(pickle.dumps(data, protocol))
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "fuzz" / "fuzz_parsers.py"),
            target,
            str(corpus),
            f"-max_total_time={FUZZ_SECONDS}",
            f"-seed={FUZZ_SEED}",
            f"-rss_limit_mb={inherited_peak_mb() + FUZZ_RSS_MB}",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=FUZZ_SECONDS * 6,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done" in result.stderr  # libFuzzer ran its course


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("HIERARCHYROOTJOINTEndSiteOFFSETCHANNELS{}\n 0123456789.-eMOTIONFrames:Time")
        )
    )
)
def test_any_text_is_a_bvh_or_a_motion_file_error(text):
    try:
        parse_bvh(text)
    except MotionFileError:
        pass


@settings(max_examples=30, deadline=None)
@given(
    poses=arrays(np.float64, (4, 24, 3), elements=st.floats(-1.7, 1.7)),
    fps=st.sampled_from([24.0, 30.0, 60.0]),
)
def test_the_smpl_bvh_writer_and_parser_round_trip_any_pose(poses, fps, tmp_path_factory):
    motion = Motion(poses, np.zeros((4, 3)), fps, np.zeros((4, 4)))
    path = write_smpl_bvh(motion, tmp_path_factory.mktemp("bvh") / "m.bvh")
    bvh = parse_bvh(path.read_text())
    assert bvh.fps == fps
    _, rotations = bvh.forward_kinematics()
    rotations = rotations[:, [bvh.names.index(name) for name in JOINT_NAMES]]  # file order
    _, expected = forward_kinematics(motion.poses, motion.trans)
    between = Rotation.from_matrix((np.swapaxes(rotations, 2, 3) @ expected).reshape(-1, 3, 3))
    assert np.degrees(between.magnitude()).max() < 1e-3


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 40),
    source_fps=st.sampled_from([24.0, 25.0, 30.0, 60.0, 120.0]),
    fps=st.sampled_from([24.0, 30.0, 60.0]),
    seed=st.integers(0, 1000),
)
def test_resampling_keeps_the_duration_and_the_first_frame(n, source_fps, fps, seed):
    motion = small_motion(n, source_fps, seed)
    out = motion.resampled(fps)
    assert out.fps == fps
    last_source_time = (n - 1) / source_fps
    assert (out.n_frames - 1) / fps <= last_source_time + 1e-9 < out.n_frames / fps
    np.testing.assert_allclose(out.joint_positions()[0], motion.joint_positions()[0], atol=1e-5)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), shift=arrays(np.float64, 3, elements=st.floats(-50, 50)))
def test_foot_contacts_do_not_change_when_the_dance_is_moved_across_the_floor(seed, shift):
    motion = small_motion(30, 30.0, seed)
    joints = motion.joint_positions()
    shift[1] = 0.0  # across the floor, not up
    np.testing.assert_array_equal(
        detect_foot_contacts(joints, 30.0), detect_foot_contacts(joints + shift, 30.0)
    )
