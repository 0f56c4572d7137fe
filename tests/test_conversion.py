"""The Y-up to Z-up conversion of SMPL motion to Blender pose channels, and back."""

import numpy as np
from scipy.spatial.transform import Rotation

from motionbeat_addon.conversion import Y_UP_TO_Z_UP, pose_channels, same_hemisphere, smpl_motion


def wxyz(rotation: Rotation) -> np.ndarray:
    return np.roll(rotation.as_quat(), 1, axis=-1)


def test_same_hemisphere_removes_sign_flips_without_changing_rotations():
    q = wxyz(Rotation.from_euler("z", np.linspace(0, 6 * np.pi, 100)[:, None]))
    flipped = q * np.where(np.arange(100) % 3 == 0, -1.0, 1.0)[:, None]
    fixed = same_hemisphere(flipped)
    assert np.all(np.sum(fixed[1:] * fixed[:-1], axis=1) > 0)
    np.testing.assert_allclose(np.abs(np.sum(fixed * q, axis=1)), 1.0, atol=1e-12)


def test_up_is_up_and_front_faces_the_front_view():
    np.testing.assert_allclose(Y_UP_TO_Z_UP @ [0, 1, 0], [0, 0, 1])
    np.testing.assert_allclose(Y_UP_TO_Z_UP @ [0, 0, 1], [0, -1, 0])


def test_bones_at_rest_orientation_get_the_smpl_rotation_conjugated_by_the_axis_change():
    rest = np.tile(Y_UP_TO_Z_UP, (24, 1, 1))  # bones pointing up with roll 0: B = C
    poses = np.random.default_rng(2).normal(0, 0.5, (5, 24, 3))
    quaternions, location = pose_channels(poses, np.zeros((5, 3)), rest, np.zeros(3))
    # With B = C, Q = C^T C R C^T C = R: the keyed rotation is the SMPL rotation itself.
    expected = wxyz(Rotation.from_rotvec(poses.reshape(-1, 3))).reshape(5, 24, 4)
    np.testing.assert_allclose(np.abs(np.sum(quaternions * expected, axis=-1)), 1.0, atol=1e-12)
    np.testing.assert_allclose(location, 0.0, atol=1e-12)


def test_smpl_motion_undoes_pose_channels():
    """The export reads dances back with it: poses (as rotations, zero and near-pi included),
    trans and any quaternion norm come back."""
    rng = np.random.default_rng(2)
    poses = rng.normal(0.0, 1.0, (40, 24, 3))
    poses[0] = 0.0
    poses[1, 5] = [np.pi - 1e-6, 0.0, 0.0]
    trans = rng.normal(0.0, 1.0, (40, 3))
    rest = Rotation.random(24, random_state=3).as_matrix()
    head = rng.normal(0.0, 1.0, 3)
    quaternions, location = pose_channels(poses, trans, rest, head)
    back, back_trans = smpl_motion(2.5 * quaternions, location, rest, head)
    difference = Rotation.from_rotvec(poses.reshape(-1, 3)).inv() * Rotation.from_rotvec(
        back.reshape(-1, 3)
    )
    assert difference.magnitude().max() < 1e-9
    np.testing.assert_allclose(back_trans, trans, atol=1e-12)
    assert np.all(np.linalg.norm(back, axis=-1) <= np.pi + 1e-9)
