"""SMPL motion (Y-up, axis-angle) to Blender pose channels (Z-up, quaternions).

The one place where SMPL's Y-up becomes Blender's Z-up. Numpy only: it runs inside Blender.

A pose bone's rotation is local to its own rest orientation ``B`` (the 3x3 of
``bone.matrix_local``, armature space). For an armature whose rest pose is SMPL's, the SMPL
local rotation ``R`` (parent frame, Y-up) becomes ``Q = B^T C R C^T B`` with ``C`` the Y-up to
Z-up rotation, so that the keyed armature reproduces SMPL's forward kinematics.
"""

from __future__ import annotations

import numpy as np

# +90 degrees about X: SMPL's up (+Y) becomes Blender's up (+Z), SMPL's front (+Z) becomes -Y,
# which is where Blender's front view looks from.
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def to_z_up(points: np.ndarray) -> np.ndarray:
    """Points or vectors (..., 3) from SMPL's Y-up to Blender's Z-up."""
    return points @ Y_UP_TO_Z_UP.T


def axis_angle_to_quaternion(axis_angle: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle, radians, to (..., 4) unit quaternions (w, x, y, z)."""
    angle = np.linalg.norm(axis_angle, axis=-1, keepdims=True)
    half = angle / 2
    # sin(a/2)/a tends to 1/2 at small angles; its Taylor series avoids dividing by zero.
    scale = np.where(angle > 1e-8, np.sin(half) / np.maximum(angle, 1e-8), 0.5 - angle**2 / 48)
    return np.concatenate([np.cos(half), axis_angle * scale], axis=-1)


def matrix_to_quaternion(matrix: np.ndarray) -> np.ndarray:
    """A (3, 3) rotation matrix to a (4,) unit quaternion (w, x, y, z)."""
    m = matrix
    trace = np.trace(m)
    if trace > 0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = np.array(
            [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
        )
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = np.zeros(4)
        q[0] = (m[k, j] - m[j, k]) / s
        q[1 + i] = 0.25 * s
        q[1 + j] = (m[j, i] + m[i, j]) / s
        q[1 + k] = (m[k, i] + m[i, k]) / s
    return q / np.linalg.norm(q)


def quaternion_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of (..., 4) quaternions (w, x, y, z), broadcasting."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


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


def _bone_frames(rest_rotations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(24, 4) quaternions taking SMPL's Y-up parent frame into each bone's rest frame
    (``B^T C``), and their conjugates, the way back."""
    to_bone = np.stack([matrix_to_quaternion(b.T @ Y_UP_TO_Z_UP) for b in rest_rotations])
    return to_bone, to_bone * np.array([1.0, -1.0, -1.0, -1.0])


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
    to_bone, from_bone = _bone_frames(rest_rotations)
    local = axis_angle_to_quaternion(np.asarray(poses, dtype=np.float64))
    quaternions = quaternion_multiply(quaternion_multiply(to_bone, local), from_bone)
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
    to_bone, from_bone = _bone_frames(rest_rotations)
    unit = quaternions / np.linalg.norm(quaternions, axis=-1, keepdims=True)
    local = quaternion_multiply(quaternion_multiply(from_bone, unit), to_bone)
    local *= np.where(local[..., :1] < 0, -1.0, 1.0)  # w >= 0: the rotation by at most pi
    sine = np.linalg.norm(local[..., 1:], axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(sine, local[..., :1])
    # angle / sin(angle / 2) tends to 2 at small angles: its Taylor series avoids 0 / 0.
    scale = np.where(sine > 1e-8, angle / np.maximum(sine, 1e-8), 2.0 + angle**2 / 12)
    poses = local[..., 1:] * scale
    trans = (location @ rest_rotations[0].T + pelvis_rest_head) @ Y_UP_TO_Z_UP
    return poses, trans
