"""BVH reading and writing, and retargeting captured rigs onto SMPL."""

import dataclasses

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.body.motion import Motion
from core.body.skeleton import (
    FOOT_JOINTS,
    JOINT_INDEX,
    JOINT_NAMES,
    PARENTS,
    forward_kinematics,
    rest_joint_positions,
)
from core.cli import main
from core.errors import MotionFileError
from core.motion_files.bvh import read_bvh, write_smpl_bvh
from core.motion_files.load import load_bvh_motion
from core.motion_files.retarget import RIGS, detect_rig, retarget_bvh, up_to_y
from tests.conftest import SHARED_DATA, require_shared_data

MOTION = SHARED_DATA / "motion"
CAPTURED = [
    pytest.param(MOTION / "cmu_subject05_bvh" / "05" / "05_02.bvh", "cc_base", id="cmu-05"),
    pytest.param(MOTION / "cmu_salsa_60_61" / "60_01_scaled.bvh", "daz_secondlife", id="salsa"),
    pytest.param(MOTION / "cmu_55" / "55_01.bvh", "cmu", id="cmu-55-z-up"),
    pytest.param(
        MOTION / "bandai_dance_short" / "dataset-1_dance-short_normal_001.bvh",
        "bandai",
        id="bandai",
    ),
]
LIMBS = [
    f"{side}_{joint}"
    for side in ("left", "right")
    for joint in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")
]


def rotation_error_degrees(a_poses, b_poses):
    """Angle between the global rotations of two pose sequences: (T, 24) degrees."""
    zero = np.zeros((len(a_poses), 3))
    _, a = forward_kinematics(a_poses, zero)
    _, b = forward_kinematics(b_poses, zero)
    between = np.swapaxes(a, 2, 3) @ b
    return np.degrees(Rotation.from_matrix(between.reshape(-1, 3, 3)).magnitude()).reshape(-1, 24)


def test_a_dance_written_as_smpl_bvh_reads_back_as_the_same_motion(demo_dance, tmp_path):
    _, motion = demo_dance
    bvh = read_bvh(write_smpl_bvh(motion, tmp_path / "dance.bvh"))
    assert detect_rig(bvh) == "smpl" and bvh.fps == pytest.approx(motion.fps)
    back = retarget_bvh(bvh)
    error = rotation_error_degrees(motion.poses, back.poses)
    limbs = [JOINT_INDEX[name] for name in LIMBS]
    assert error[:, limbs].max() < 3.0, error[:, limbs].max(axis=0)
    assert np.median(error) < 0.5
    # The feet are stood on the floor again, so heights may move by the floor's estimate.
    offset = back.joint_positions() - motion.joint_positions()
    assert np.abs(offset - np.median(offset, axis=(0, 1))).max() < 0.025


def test_the_rest_pose_of_an_smpl_bvh_maps_to_the_smpl_rest_pose(demo_dance, tmp_path):
    _, motion = demo_dance
    bvh = read_bvh(write_smpl_bvh(motion, tmp_path / "dance.bvh"))
    bvh.frames[0, 3:] = 0.0  # every rotation channel of frame 0 zero: the rest pose
    rest = retarget_bvh(bvh)
    joints = rest.joint_positions()[0] - rest.trans[0]
    assert np.abs(joints - rest_joint_positions()).max() < 0.02
    # Twists that positions cannot show are estimated from the motion, within a few degrees.
    angles = np.degrees(np.linalg.norm(rest.poses[0], axis=-1))
    assert angles.max() < 12.0, dict(zip(JOINT_NAMES, angles.round(1), strict=True))


def with_own_joint_frames(bvh, seed: int = 0):
    """The same motion on a rig whose every joint has its own constant local frame F_j (as
    iClone's and Bandai's rigs do): offsets seen from the parent's frame, each local rotation
    F_parent^T L F_j, the root's channels as before."""
    turns = Rotation.random(len(bvh.names), random_state=seed).as_matrix()
    n_frames = len(bvh.frames)
    offsets, columns, column = bvh.offsets.copy(), [], 0
    for j, parent in enumerate(bvh.parents):
        count = len(bvh.channels[j])
        values = bvh.frames[:, column : column + count]
        column += count
        local = Rotation.from_euler("ZYX", values[:, -3:], degrees=True).as_matrix()
        before = turns[parent] if parent >= 0 else np.eye(3)
        offsets[j] = before.T @ bvh.offsets[j]
        turned = Rotation.from_matrix(before.T @ local @ turns[j])
        columns += [values[:, :-3], turned.as_euler("ZYX", degrees=True).reshape(n_frames, 3)]
    return dataclasses.replace(bvh, offsets=offsets, frames=np.concatenate(columns, axis=1))


def test_a_rig_with_its_own_joint_frames_retargets_to_the_same_rotations(
    demo_dance, tmp_path, monkeypatch
):
    """Positions alone leave each joint's roll about its bone open (an ankle that sees only
    its toe, a collar only its arm): the retargeting must find it, or feet turn sole up on a
    skinned character while every joint stays in place. End joints (head, hands, toes) have no
    bone to see in such a rig and keep their parent's frame change: not checked."""
    import core.motion_files.retarget as retarget

    _, motion = demo_dance
    smpl = read_bvh(write_smpl_bvh(motion, tmp_path / "dance.bvh"))
    monkeypatch.setitem(retarget.RIGS, "own_frames", RIGS["smpl"])
    back = retarget_bvh(with_own_joint_frames(smpl), rig="own_frames")
    error = rotation_error_degrees(motion.poses, back.poses)
    ends = [j for j in range(len(JOINT_NAMES)) if j not in PARENTS]  # head, hands, toes
    inner = [j for j in range(len(JOINT_NAMES)) if j not in ends]
    median = dict(zip(JOINT_NAMES, np.median(error, axis=0).round(1), strict=True))
    # Within the capture's own mean twist (the roll is found as none on average: 13 degrees at
    # the collars and 16 at a wrist of this dance); 110 to 177 degrees before the roll was found.
    assert np.median(error[:, inner], axis=0).max() < 20.0, median


@pytest.mark.parametrize("path, rig", CAPTURED)
def test_captured_rigs_keep_their_bone_directions_and_foot_heights(path, rig):
    require_shared_data(path)
    bvh = read_bvh(path)
    assert detect_rig(bvh) == rig
    motion = retarget_bvh(bvh)
    positions, _ = bvh.forward_kinematics()
    source = {JOINT_INDEX[smpl]: bvh.names.index(name) for smpl, name in RIGS[rig].items()}
    up = up_to_y(positions, source)
    assert np.allclose(up, np.eye(3)) == (rig != "cmu")  # the CMU 55 file is Z-up
    positions = positions @ up.T
    joints = motion.joint_positions()
    for name in LIMBS:  # each limb bone from this joint to its mapped child
        j = JOINT_INDEX[name]
        child = PARENTS.index(j)
        if child not in source:
            continue
        ours = joints[:, child] - joints[:, j]
        theirs = positions[:, source[child]] - positions[:, source[j]]
        cosine = np.sum(ours * theirs, -1) / np.linalg.norm(ours, axis=-1)
        cosine /= np.linalg.norm(theirs, axis=-1)
        angle = np.degrees(np.arccos(np.clip(cosine, -1, 1)))
        assert np.mean(angle) < 6.0 and np.percentile(angle, 95) < 12.0, (name, angle.mean())
    # Foot heights above each clip's floor, in SMPL's proportions, agree within a few cm.
    ankles = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]
    scale = np.ptp(joints[:, ankles, 1]) / np.ptp(positions[:, [source[a] for a in ankles], 1])
    for a in ankles:
        ours = joints[:, a, 1] - np.percentile(joints[:, a, 1], 5)
        theirs = (positions[:, source[a], 1] - np.percentile(positions[:, source[a], 1], 5)) * scale
        assert np.mean(np.abs(ours - theirs)) < 0.03
    assert joints[:, list(FOOT_JOINTS), 1].min() > -0.05  # on the floor, not under it
    # Turned as a body turns, not only placed: no spine, neck, collar, ankle or wrist is
    # turned far from its rest on average (the CMU 55 upper spine was at 125 degrees while
    # its collars and neck sat on it with no bone to read; the iClone and Bandai ankles at 114
    # to 176, rolled about the foot).
    for name in ("spine1", "spine2", "spine3", "neck", "left_collar", "right_collar",
                 "left_ankle", "right_ankle", "left_wrist", "right_wrist"):  # fmt: skip
        j = JOINT_INDEX[name]
        if j in source:
            mean = np.degrees(Rotation.from_rotvec(motion.poses[:, j]).mean().magnitude())
            assert mean < 60.0, (name, mean)


def test_cmu_walk_has_a_walking_cadence_at_the_header_frame_rate():
    """The CMU subject 05 headers say 60 fps where the source was captured at 120: the cadence
    of the walk clip shows which is right (about 100 steps a minute at 60 fps, 200 at 120)."""
    motion = load_bvh_motion(require_shared_data(MOTION / "cmu_subject05_bvh" / "05" / "05_01.bvh"))
    left_ankle = motion.contacts[:, 0]
    landings = np.flatnonzero(np.diff(left_ankle) > 0) / motion.fps
    steps_per_minute = 2 * 60.0 / np.median(np.diff(landings))
    assert 80 < steps_per_minute < 130


def test_resampling_to_30_fps_keeps_duration_and_passes_through_source_frames():
    bvh = read_bvh(require_shared_data(CAPTURED[1].values[0]))
    motion = retarget_bvh(bvh)
    at_30 = motion.resampled(30.0)
    assert at_30.fps == 30.0
    assert abs(at_30.duration - motion.duration) < 2 / 30
    # Every 2nd frame at the salsa's 60 fps is a frame at 30 fps: slerp passes through it.
    step = int(round(motion.fps / 30.0))
    assert motion.fps == 60.0 and step == 2
    np.testing.assert_allclose(
        at_30.joint_positions(), motion.joint_positions()[::step][: at_30.n_frames], atol=1e-4
    )


def test_cli_converts_a_bvh_to_npz_and_bvh(tmp_path, capsys):
    source = require_shared_data(CAPTURED[2].values[0])
    assert main(["convert", str(source), "--out", str(tmp_path / "dance.npz")]) == 0
    assert main(["convert", str(source), "--out", str(tmp_path / "dance.bvh")]) == 0
    npz = Motion.load_npz(tmp_path / "dance.npz")
    again = load_bvh_motion(tmp_path / "dance.bvh")
    assert npz.fps == 30.0 and again.n_frames == npz.n_frames
    assert rotation_error_degrees(npz.poses, again.poses).max() < 5.0


def write_text(path, text):
    path.write_text(text)
    return path


GOOD_HEADER = """HIERARCHY
ROOT hip
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  End Site
  {
    OFFSET 0 1 0
  }
}
MOTION
"""


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no MOTION"),
        (GOOD_HEADER.replace("  CHANNELS 6", "  #"), "CHANNELS"),
        (GOOD_HEADER.replace("CHANNELS 6", "CHANNELS 7"), "channels"),
        (GOOD_HEADER.replace("Zrotation", "Wrotation"), "unknown channel"),
        (GOOD_HEADER.replace("OFFSET 0 0 0", "OFFSET 0 nan 0"), "not finite"),
        (GOOD_HEADER.replace("OFFSET 0 0 0", "OFFSET 0 x 0"), "not a number"),
        (GOOD_HEADER + "Frames: 2\nFrame Time: 0.1\n0 0 0 0 0 0\n0 0 0 0 nan 0\n", "frame 1"),
        (GOOD_HEADER + "Frames: 1\nFrame Time: 0.1\n0 0 0 0 0\n", "5 values"),
        (GOOD_HEADER + "Frames: 2\nFrame Time: 0.1\n0 0 0 0 0 0\n", "the file has 1"),
        (GOOD_HEADER + "Frames: 999999999999\nFrame Time: 0.1\n0 0 0 0 0 0\n", "frames"),
        (GOOD_HEADER + "Frames: 1\nFrame Time: 0\n0 0 0 0 0 0\n", "frame time"),
        (GOOD_HEADER + "Frames: 1\nFrame Time: 0.1\n0 0 0 0 0 zero\n", "non-number"),
        (GOOD_HEADER.replace("}\nMOTION", "}\n}\nMOTION"), "after the hierarchy"),
    ],
    ids=[
        "empty", "no-channels", "seven-channels", "unknown-axis", "nan-offset", "text-offset",
        "nan-frame", "short-frame", "missing-frames", "huge-frame-count", "zero-frame-time",
        "text-in-frame", "unbalanced-braces",
    ],
)  # fmt: skip
def test_malformed_bvh_raises_motion_file_error(tmp_path, text, message):
    with pytest.raises(MotionFileError, match=message):
        read_bvh(write_text(tmp_path / "bad.bvh", text))


def test_binary_garbage_and_unknown_rigs_are_refused(tmp_path):
    (tmp_path / "garbage.bvh").write_bytes(b"\x00\xff" * 1000)
    with pytest.raises(MotionFileError, match="not a readable text file"):
        read_bvh(tmp_path / "garbage.bvh")
    path = write_text(
        tmp_path / "one.bvh", GOOD_HEADER + "Frames: 1\nFrame Time: 0.1\n0 0 0 0 0 0\n"
    )
    with pytest.raises(MotionFileError, match="unknown rig.*known rigs: smpl"):
        load_bvh_motion(path)
