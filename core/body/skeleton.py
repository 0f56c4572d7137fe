"""The SMPL 24-joint skeleton and its forward kinematics.

Joint order, names and parents are SMPL's. Rest offsets (each joint relative to its parent,
metres, Y-up, T-pose, an average body) are the ``smpl_offsets`` table of the EDGE repository's
``vis.py`` (MIT). The body faces +Z; +X is the body's left.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hand",
    "right_hand",
)
N_JOINTS = len(JOINT_NAMES)
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}

# fmt: off
PARENTS: tuple[int, ...] = (
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21,
)
# fmt: on

REST_OFFSETS = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.05858135, -0.08228004, -0.01766408],
        [-0.06030973, -0.09051332, -0.01354254],
        [0.00443945, 0.12440352, -0.03838522],
        [0.04345142, -0.38646945, 0.008037],
        [-0.04325663, -0.38368791, -0.00484304],
        [0.00448844, 0.1379564, 0.02682033],
        [-0.01479032, -0.42687458, -0.037428],
        [0.01905555, -0.4200455, -0.03456167],
        [-0.00226458, 0.05603239, 0.00285505],
        [0.04105436, -0.06028581, 0.12204243],
        [-0.03483987, -0.06210566, 0.13032329],
        [-0.0133902, 0.21163553, -0.03346758],
        [0.07170245, 0.11399969, -0.01889817],
        [-0.08295366, 0.11247234, -0.02370739],
        [0.01011321, 0.08893734, 0.05040987],
        [0.12292141, 0.04520509, -0.019046],
        [-0.11322832, 0.04685326, -0.00847207],
        [0.2553319, -0.01564902, -0.02294649],
        [-0.26012748, -0.01436928, -0.03126873],
        [0.26570925, 0.01269811, -0.00737473],
        [-0.26910836, 0.00679372, -0.00602676],
        [0.08669055, -0.01063603, -0.01559429],
        [-0.0887537, -0.00865157, -0.01010708],
    ],
    dtype=np.float64,
)  # (24, 3) metres; EDGE vis.py smpl_offsets

# Foot joints in the order of the contact channels (EDGE: joints 7, 10, 8, 11).
FOOT_JOINTS: tuple[int, ...] = (7, 10, 8, 11)
CONTACT_NAMES: tuple[str, ...] = ("left_ankle", "left_foot", "right_ankle", "right_foot")


def rest_joint_positions(offsets: np.ndarray = REST_OFFSETS) -> np.ndarray:
    """Joint positions of the rest (T-) pose with the pelvis at the origin: ``(24, 3)`` metres."""
    positions = np.zeros_like(offsets)
    for j in range(1, N_JOINTS):
        positions[j] = positions[PARENTS[j]] + offsets[j]
    return positions


def forward_kinematics(
    poses: np.ndarray, trans: np.ndarray, offsets: np.ndarray = REST_OFFSETS
) -> tuple[np.ndarray, np.ndarray]:
    """Global joint positions and rotations from SMPL parameters.

    poses : (T, 24, 3) axis-angle, radians, each local to its parent joint.
    trans : (T, 3) metres, the pelvis position.
    Returns ``positions`` (T, 24, 3) metres and ``rotations`` (T, 24, 3, 3) global rotation
    matrices, both float64, in the frame of ``poses`` (Y-up for SMPL).
    """
    poses = np.asarray(poses, dtype=np.float64)
    n_frames = poses.shape[0]
    local = Rotation.from_rotvec(poses.reshape(-1, 3)).as_matrix().reshape(n_frames, N_JOINTS, 3, 3)
    rotations = np.empty_like(local)
    positions = np.empty((n_frames, N_JOINTS, 3))
    rotations[:, 0] = local[:, 0]
    positions[:, 0] = trans
    # Parents precede children in SMPL's order, so one pass over the joints suffices.
    for j in range(1, N_JOINTS):
        parent = PARENTS[j]
        rotations[:, j] = rotations[:, parent] @ local[:, j]
        positions[:, j] = positions[:, parent] + rotations[:, parent] @ offsets[j]
    return positions, rotations


# Each joint's mirror image (left for right), for reflecting a motion through the body's plane.
MIRROR_JOINTS = tuple(
    JOINT_INDEX[n.replace("left_", "right_") if "left_" in n else n.replace("right_", "left_")]
    for n in JOINT_NAMES
)


def mirror_motion(
    poses: np.ndarray, trans: np.ndarray, contacts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A motion reflected left for right (x to -x): joints swap sides, and each rotation R
    becomes M R M with M = diag(-1, 1, 1), so the rotation vector (a, b, c) becomes (a, -b, -c).

    poses (T, 24, 3) axis-angle, trans (T, 3) metres, contacts (T, 4) in ``CONTACT_NAMES``
    order; returns the three reflected, same shapes and dtypes.
    """
    sign = np.array([1.0, -1.0, -1.0], dtype=poses.dtype)
    flip = np.array([-1.0, 1.0, 1.0], dtype=trans.dtype)
    return poses[:, list(MIRROR_JOINTS)] * sign, trans * flip, contacts[:, [2, 3, 0, 1]]


# (hip, knee, ankle) joints of each leg; legs are posed by IK, everything else by keys.
LEGS = {
    "left": (JOINT_INDEX["left_hip"], JOINT_INDEX["left_knee"], JOINT_INDEX["left_ankle"]),
    "right": (JOINT_INDEX["right_hip"], JOINT_INDEX["right_knee"], JOINT_INDEX["right_ankle"]),
}


# The joint groups the retargeting, the joint fit and the feet share.
HIPS = (JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"])


KNEES = (JOINT_INDEX["left_knee"], JOINT_INDEX["right_knee"])


def facing_yaw(rotations: Rotation) -> np.ndarray:
    """Yaw (radians about +Y) of where rotations turn the body's forward (+Z): ``(T,)``."""
    forward = rotations.apply([0.0, 0.0, 1.0]).reshape(-1, 3)
    return np.arctan2(forward[:, 0], forward[:, 2])


def pelvis_heading(poses: np.ndarray) -> np.ndarray:
    """Yaw of the pelvis of SMPL poses (T, 24, 3): ``(T,)`` radians."""
    return facing_yaw(Rotation.from_rotvec(poses[:, 0]))


# Contact channels (ankle and foot) of each side, in the order of ``CONTACT_NAMES``.
CONTACTS_OF_SIDE = {
    side: tuple(i for i, name in enumerate(CONTACT_NAMES) if name.startswith(side)) for side in LEGS
}
