"""Analytic two-bone inverse kinematics for SMPL legs, vectorised over frames.

The knee is a hinge about its local X axis (SMPL knees flex about X; positive flexion swings the
shin backwards). Its angle has a closed form from the hip-to-ankle distance; the hip rotation
then aims the leg at the target with the knee pointing along a pole direction (the foot's
forward), and the ankle rotation gives the foot its wanted global orientation.
"""

from __future__ import annotations

import numpy as np

REACH_MARGIN_M = 1e-4  # keep the leg off full extension, where the knee angle is ill-conditioned


def _normalise(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _frame(axis: np.ndarray, pole: np.ndarray) -> np.ndarray:
    """Orthonormal frames (..., 3, 3) with columns: axis, pole made perpendicular, their cross."""
    e1 = _normalise(axis)
    e2 = _normalise(pole - np.sum(pole * e1, axis=-1, keepdims=True) * e1)
    return np.stack([e1, e2, np.cross(e1, e2)], axis=-1)


def rotation_x(angle: np.ndarray) -> np.ndarray:
    """Rotations about X: ``(T,)`` radians to ``(T, 3, 3)``."""
    c, s = np.cos(angle), np.sin(angle)
    zero, one = np.zeros_like(angle), np.ones_like(angle)
    return np.stack(
        [np.stack([one, zero, zero], -1), np.stack([zero, c, -s], -1), np.stack([zero, s, c], -1)],
        axis=-2,
    )


def knee_angle(thigh: np.ndarray, shin: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Knee flexion (radians, ``(T,)``) that puts the ankle ``distance`` metres from the hip.

    thigh : (3,) hip-to-knee rest offset; shin : (3,) knee-to-ankle rest offset, metres.
    Solves |thigh + R_x(a) shin| = distance, i.e. P cos a + Q sin a = S, on the flexing branch.
    """
    p = thigh[1] * shin[1] + thigh[2] * shin[2]
    q = thigh[2] * shin[1] - thigh[1] * shin[2]
    s = (distance**2 - thigh @ thigh - shin @ shin) / 2 - thigh[0] * shin[0]
    return np.arctan2(q, p) + np.arccos(np.clip(s / np.hypot(p, q), -1.0, 1.0))


def solve_leg(
    hip_position: np.ndarray,
    pelvis_rotation: np.ndarray,
    ankle_target: np.ndarray,
    foot_rotation: np.ndarray,
    knee_pole: np.ndarray,
    thigh: np.ndarray,
    shin: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local rotations of hip, knee and ankle that put the ankle on its target.

    hip_position : (T, 3) metres; pelvis_rotation : (T, 3, 3) global rotation of the hip's parent
    ankle_target : (T, 3) metres; foot_rotation : (T, 3, 3) wanted global ankle rotation
    knee_pole : (T, 3) direction the knee should point to
    thigh, shin : (3,) rest offsets hip-to-knee and knee-to-ankle, metres
    Returns three ``(T, 3, 3)`` local rotation matrices. A target out of reach is approached as
    closely as the leg allows, along the same direction.
    """
    to_target = ankle_target - hip_position
    reach = np.linalg.norm(thigh) + np.linalg.norm(shin)
    shortest = abs(np.linalg.norm(thigh) - np.linalg.norm(shin))
    distance = np.clip(
        np.linalg.norm(to_target, axis=-1), shortest + REACH_MARGIN_M, reach - REACH_MARGIN_M
    )
    knee = rotation_x(knee_angle(thigh, shin, distance))
    # Hip-to-ankle direction in the hip's own frame, once the knee is bent.
    leg_local = thigh + np.einsum("tij,j->ti", knee, shin)
    forward_local = np.broadcast_to(np.array([0.0, 0.0, 1.0]), leg_local.shape)
    hip_global = _frame(to_target, knee_pole) @ np.swapaxes(
        _frame(leg_local, forward_local), -1, -2
    )
    hip_local = np.swapaxes(pelvis_rotation, -1, -2) @ hip_global
    ankle_local = np.swapaxes(hip_global @ knee, -1, -2) @ foot_rotation
    return hip_local, knee, ankle_local
