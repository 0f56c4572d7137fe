"""SMPL motion (Y-up, axis-angle) to Blender pose channels (Z-up, quaternions).

The one place where SMPL's Y-up becomes Blender's Z-up. Numpy and scipy (which the extension
ships): it runs inside Blender.

A pose bone's rotation is local to its own rest orientation ``B`` (the 3x3 of
``bone.matrix_local``, armature space). For an armature whose rest pose is SMPL's, the SMPL
local rotation ``R`` (parent frame, Y-up) becomes ``Q = B^T C R C^T B`` with ``C`` the Y-up to
Z-up rotation, so that the keyed armature reproduces SMPL's forward kinematics.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

# +90 degrees about X: SMPL's up (+Y) becomes Blender's up (+Z), SMPL's front (+Z) becomes -Y,
# which is where Blender's front view looks from.
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def to_z_up(points: np.ndarray) -> np.ndarray:
    """Points or vectors (..., 3) from SMPL's Y-up to Blender's Z-up."""
    return points @ Y_UP_TO_Z_UP.T


def _wxyz(rotations: Rotation) -> np.ndarray:
    """Blender's quaternion order (w, x, y, z) of scipy rotations, (..., 4)."""
    return np.roll(rotations.as_quat(), 1, axis=-1)


def same_hemisphere(quaternions: np.ndarray) -> np.ndarray:
    """Flip signs so consecutive quaternions along axis 0 lie on one hemisphere.

    quaternions : (T, ..., 4). q and -q are the same rotation, but F-curves interpolate
    componentwise: a sign flip between two frames would spin the bone the long way round.
    """
    dots = np.sum(quaternions[1:] * quaternions[:-1], axis=-1)
    signs = np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)
    out = quaternions.copy()
    out[1:] *= signs[..., None]
    return out


def _bone_frames(rest_rotations: np.ndarray, n_frames: int) -> Rotation:
    """(n_frames * 24) rotations taking SMPL's Y-up parent frame into each bone's rest frame
    (``B^T C``), repeated for every frame, frame-major as ``poses.reshape(-1, 3)``."""
    to_bone = Rotation.from_matrix(np.swapaxes(rest_rotations, 1, 2) @ Y_UP_TO_Z_UP)
    return Rotation.from_quat(np.tile(to_bone.as_quat(), (n_frames, 1)))


def pose_channels(
    poses: np.ndarray, trans: np.ndarray, rest_rotations: np.ndarray, pelvis_rest_head: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Blender pose channels that reproduce an SMPL motion.

    poses : (T, 24, 3) axis-angle radians, SMPL, Y-up; trans : (T, 3) metres, Y-up
    rest_rotations : (24, 3, 3) each bone's rest orientation in armature space (Z-up), in SMPL
        joint order; pelvis_rest_head : (3,) the pelvis bone's rest head, armature space
    Returns ``rotation_quaternion`` (T, 24, 4) (w, x, y, z), on one hemisphere per bone, and the
    pelvis ``location`` (T, 3) in its bone's rest frame, metres.
    """
    n = len(poses)
    to_bone = _bone_frames(rest_rotations, n)
    local = Rotation.from_rotvec(np.asarray(poses, dtype=np.float64).reshape(-1, 3))
    quaternions = _wxyz(to_bone * local * to_bone.inv()).reshape(n, -1, 4)
    location = (to_z_up(np.asarray(trans, dtype=np.float64)) - pelvis_rest_head) @ rest_rotations[0]
    return same_hemisphere(quaternions), location


def smpl_motion(
    quaternions: np.ndarray,
    location: np.ndarray,
    rest_rotations: np.ndarray,
    pelvis_rest_head: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The SMPL motion that Blender pose channels show: the inverse of ``pose_channels``.

    quaternions : (T, 24, 4) ``rotation_quaternion`` (w, x, y, z), any norm; location : (T, 3)
    the pelvis ``location``; rest_rotations, pelvis_rest_head : as ``pose_channels`` takes them.
    Returns ``poses`` (T, 24, 3) axis-angle radians and ``trans`` (T, 3) metres, SMPL, Y-up.
    """
    n = len(quaternions)
    to_bone = _bone_frames(rest_rotations, n)
    keyed = Rotation.from_quat(np.roll(quaternions.reshape(-1, 4), -1, axis=-1))  # normalises
    poses = (to_bone.inv() * keyed * to_bone).as_rotvec().reshape(n, -1, 3)  # angles <= pi
    trans = (location @ rest_rotations[0].T + pelvis_rest_head) @ Y_UP_TO_Z_UP
    return poses, trans
