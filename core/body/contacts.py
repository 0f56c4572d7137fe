"""Foot contact detection.

Follows EDGE (Tseng et al., CVPR 2023, ``dataset/dance_dataset.py``): a foot joint is in
contact where it moves less than 1 cm per frame at 30 fps. As DESIGN.md §3 asks, it must also be
near the floor: within ``HEIGHT_THRESHOLD_M`` of that joint's floor level in the clip, taken as
its 5th-percentile height so that a capture glitch below the floor does not lift the floor.
"""

from __future__ import annotations

import numpy as np

from core.body.skeleton import FOOT_JOINTS

SPEED_THRESHOLD_M_S = 0.01 * 30  # EDGE: 0.01 m per frame at 30 fps
HEIGHT_THRESHOLD_M = 0.05  # above a joint's floor level in the clip it is lifted, not planted
FLOOR_PERCENTILE = 5
UP_AXIS = 1  # Y-up


def detect_foot_contacts(joints: np.ndarray, fps: float) -> np.ndarray:
    """Contact labels of the four foot joints.

    joints : (T, 24, 3) global joint positions, metres, Y-up.
    Returns ``(T, 4)`` float32 in {0, 1}, ordered left ankle, left foot, right ankle, right foot.
    The last frame repeats the speed of the frame before it.
    """
    feet = joints[:, FOOT_JOINTS]  # (T, 4, 3)
    if len(feet) < 2:
        return np.ones((len(feet), 4), dtype=np.float32)
    speed = np.linalg.norm(np.diff(feet, axis=0), axis=-1) * fps  # (T-1, 4) m/s
    speed = np.concatenate([speed, speed[-1:]], axis=0)
    height = feet[..., UP_AXIS]
    floor = np.percentile(height, FLOOR_PERCENTILE, axis=0, keepdims=True)
    low = height - floor < HEIGHT_THRESHOLD_M
    return ((speed < SPEED_THRESHOLD_M_S) & low).astype(np.float32)


FOOT_JOINT_HEIGHT_M = 0.03  # SMPL's foot joints stand this far above the floor
STANDING_PERCENTILE = 2  # the floor: this percentile of the lowest foot (chosen by hand)


def stand_on_floor(trans: np.ndarray, joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift a motion vertically so its feet stand on the floor (y = 0).

    Retargeted or fitted motion keeps the source's foot heights only up to SMPL's leg length, so
    the level its lower foot joint (toes) reaches in most frames is put at ``FOOT_JOINT_HEIGHT_M``.
    trans : (T, 3) metres; joints : (T, 24, 3) metres, Y-up. Returns shifted copies of both.
    """
    toes = joints[:, [FOOT_JOINTS[1], FOOT_JOINTS[3]], UP_AXIS].min(axis=1)
    lift = FOOT_JOINT_HEIGHT_M - np.percentile(toes, STANDING_PERCENTILE)
    trans, joints = trans.copy(), joints.copy()
    trans[:, UP_AXIS] += lift
    joints[..., UP_AXIS] += lift
    return trans, joints
