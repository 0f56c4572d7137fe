import numpy as np
from scipy.spatial.transform import Rotation

from core.body.skeleton import (
    JOINT_INDEX,
    JOINT_NAMES,
    N_JOINTS,
    PARENTS,
    REST_OFFSETS,
    forward_kinematics,
    rest_joint_positions,
)


def test_skeleton_tables_agree():
    assert len(JOINT_NAMES) == len(PARENTS) == len(REST_OFFSETS) == N_JOINTS == 24
    assert all(PARENTS[j] < j for j in range(1, N_JOINTS))


def test_rest_pose_forward_kinematics_is_the_rest_skeleton_moved_by_trans():
    trans = np.array([[0.0, 0.9, 0.0], [1.0, 1.0, -2.0]])
    positions, rotations = forward_kinematics(np.zeros((2, 24, 3)), trans)
    np.testing.assert_allclose(positions, rest_joint_positions()[None] + trans[:, None], atol=1e-12)
    np.testing.assert_allclose(rotations, np.broadcast_to(np.eye(3), rotations.shape))


def test_shoulder_rotation_swings_the_whole_arm_and_nothing_else():
    poses = np.zeros((1, 24, 3))
    poses[0, JOINT_INDEX["left_shoulder"]] = [0.0, 0.0, np.pi / 2]  # raise the left arm
    positions, _ = forward_kinematics(poses, np.zeros((1, 3)))
    rest = rest_joint_positions()
    shoulder = JOINT_INDEX["left_shoulder"]
    for name in ("left_elbow", "left_wrist", "left_hand"):
        j = JOINT_INDEX[name]
        expected = rest[shoulder] + Rotation.from_rotvec([0, 0, np.pi / 2]).apply(
            rest[j] - rest[shoulder]
        )
        np.testing.assert_allclose(positions[0, j], expected, atol=1e-12)
    assert positions[0, JOINT_INDEX["left_elbow"], 1] > rest[shoulder, 1] + 0.2  # now above
    untouched = [
        j for j in range(24) if JOINT_NAMES[j] not in ("left_elbow", "left_wrist", "left_hand")
    ]
    np.testing.assert_allclose(positions[0, untouched], rest[untouched], atol=1e-12)
