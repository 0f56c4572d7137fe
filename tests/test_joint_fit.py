"""The SMPL joint fit, and tang2018's joints mapped onto SMPL."""

import numpy as np
import pytest

from core.analysis import SongAnalysis
from core.beats.beat_track import BeatTrack
from core.body.skeleton import PARENTS, forward_kinematics
from core.choreography.procedural import choreograph
from core.motion_files.joint_fit import bone_direction_error, fit_smpl_to_joints
from core.motion_files.tang2018 import (
    FITTED_BONES,
    fit_tang2018_clips,
    load_tang2018_joints,
    smpl_targets,
)
from tests.conftest import SHARED_DATA, require_shared_data

TANG = SHARED_DATA / "paired" / "tang2018"
ALL_BONES = [(PARENTS[j], j) for j in range(1, 24)]


def test_fit_recovers_an_smpl_dance_from_its_own_joint_positions():
    beats = np.arange(0.2, 4.0, 0.5)
    dance = choreograph(SongAnalysis(4.0, BeatTrack(beats, 4, 0, tracker="given")), fps=30, seed=2)
    joints = dance.joint_positions()
    poses, trans = fit_smpl_to_joints(joints, ALL_BONES, iterations=300)
    fitted, _ = forward_kinematics(poses, trans)
    assert bone_direction_error(fitted, joints, ALL_BONES).mean() < 3.0  # degrees
    assert np.abs(fitted - joints).max(axis=-1).mean() < 0.03  # metres


def test_tang2018_joint_meanings_hold_on_the_data():
    world, fps = load_tang2018_joints(require_shared_data(TANG) / "DANCE_C_2.npz")
    assert fps == 25.0
    up = np.array([0.0, 1.0, 0.0])
    facing = np.cross(up, world[:, 7] - world[:, 16])  # forward if 7 is the right hip
    toe, heel = world[:, 11] - world[:, 9], world[:, 10] - world[:, 9]
    assert np.mean(np.sum(facing * toe, axis=1) > 0) > 0.8
    assert np.linalg.norm(toe, axis=1).mean() > np.linalg.norm(heel, axis=1).mean()
    assert (
        np.mean(np.sum((world[:, 3] - world[:, 12]) * (world[:, 7] - world[:, 16]), 1) > 0) > 0.99
    )
    assert np.linalg.norm(world[:, 22] - world[:, 6], axis=1).mean() < 0.08  # right hand tip
    feet = world[:, [10, 11, 19, 20], 1]
    assert -0.02 < np.percentile(feet, 1) < 0.05  # world positions stand on the floor


def test_tang2018_clip_fits_smpl_bones_within_a_few_degrees():
    world, fps = load_tang2018_joints(require_shared_data(TANG) / "DANCE_W_30.npz")
    (motion,) = fit_tang2018_clips([(world[:200], fps)], iterations=300)
    error = bone_direction_error(motion.joint_positions(), smpl_targets(world[:200]), FITTED_BONES)
    assert error.mean() < 5.0 and np.percentile(error, 95) < 12.0
    feet = motion.joint_positions()[:, [10, 11], 1]
    assert np.percentile(feet, 2) == pytest.approx(0.03, abs=0.01)
