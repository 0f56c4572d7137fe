"""The tang2018 dataset ("Dance with Melody", Tang et al., ACM MM 2018) on the SMPL skeleton.

Its 23 joints are unnamed in the source. Their meaning was worked out from the data (all 43
clips): heights, bone lengths, and which foot point lies ahead of the ankle in the direction the
body faces. Joint 2 is the lower torso, 7/16 the hips, 8/17 the knees, 9/18 the ankles, 10/19
the heels and 11/20 the toes (17 cm from the ankle against the heel's 11 cm); 3/12 the shoulders,
4/13 the elbows, 5/14 mid-forearms, 6/15 the wrists, 22/21 the hand tips (within 5 and 15 cm of
the wrists); 0 and 1 the head. With up x (7 - 16) pointing where the toes do, joints 3 to 11
and 22 are the dancer's right side. ``tests/test_joint_fit.py`` holds these facts to the data.

Positions are centimetres relative to ``center``; world = (joints + center) / 100 metres, Y-up,
which puts the feet on the floor. The capture jitters from frame to frame, so joints are
smoothed (Savitzky-Golay) before the fit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy.signal import savgol_filter

from core.body.contacts import detect_foot_contacts, stand_on_floor
from core.body.motion import Motion
from core.body.skeleton import JOINT_INDEX, N_JOINTS, forward_kinematics
from core.errors import MotionFileError
from core.motion_files.joint_fit import fit_smpl_to_joints

# SMPL joint: tang2018 joint, or a pair whose midpoint stands for it.
TANG_TO_SMPL: dict[str, int | tuple[int, int]] = {
    "pelvis": (7, 16),
    "left_hip": 16, "right_hip": 7, "left_knee": 17, "right_knee": 8,
    "left_ankle": 18, "right_ankle": 9, "left_foot": 20, "right_foot": 11,
    "neck": (3, 12), "head": (0, 1),
    "left_shoulder": 12, "right_shoulder": 3, "left_elbow": 13, "right_elbow": 4,
    "left_wrist": 15, "right_wrist": 6, "left_hand": 21, "right_hand": 22,
}  # fmt: skip
_BONE_NAMES = [
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("left_ankle", "left_foot"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("right_ankle", "right_foot"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"), ("left_wrist", "left_hand"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("right_wrist", "right_hand"),
    ("pelvis", "neck"), ("neck", "head"),
    ("right_hip", "left_hip"), ("right_shoulder", "left_shoulder"),
]  # fmt: skip
FITTED_BONES = [(JOINT_INDEX[a], JOINT_INDEX[b]) for a, b in _BONE_NAMES]
SMOOTHING_FRAMES = 7  # 0.28 s at 25 fps: removes frame-to-frame jitter, keeps beat-rate motion
# Adam steps of the fit. On DANCE_R_8 (400 frames): 150 steps at 0.08 give a 2.3 degree mean bone
# direction error (95th percentile 5.8), 400 at 0.05 give 2.0 (4.9) in 2.7 times as long.
FIT_ITERATIONS = 150
FIT_LEARNING_RATE = 0.08


def load_tang2018_joints(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """World joint positions (T, 23, 3) metres, Y-up, smoothed, and the frame rate.

    Raises MotionFileError if the file is not a tang2018 ``.npz``.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            joints, center, fps = data["joints"], data["center"], float(data["fps"])
    except (OSError, KeyError, ValueError) as exc:
        raise MotionFileError(f"{path.name}: not a tang2018 joints file ({exc})") from exc
    if joints.ndim != 3 or joints.shape[1:] != (23, 3) or center.shape != (len(joints), 3):
        raise MotionFileError(f"{path.name}: joints {joints.shape}, center {center.shape}")
    world = (joints + center[:, None]) / 100.0
    window = min(SMOOTHING_FRAMES, len(world) - (1 - len(world) % 2))
    if window >= 5:
        world = savgol_filter(world, window, polyorder=3, axis=0)
    return world.astype(np.float64), fps


def smpl_targets(world: np.ndarray) -> np.ndarray:
    """Target positions of the SMPL joints (T, 24, 3), NaN where tang2018 has none."""
    targets = np.full((len(world), N_JOINTS, 3), np.nan)
    for name, source in TANG_TO_SMPL.items():
        targets[:, JOINT_INDEX[name]] = (
            world[:, list(source)].mean(axis=1) if isinstance(source, tuple) else world[:, source]
        )
    return targets


def fit_tang2018_clips(
    clips: list[tuple[np.ndarray, float]], iterations: int = FIT_ITERATIONS
) -> list[Motion]:
    """Several clips' (world joints, fps) fitted in one batch: SMPL motion per clip, feet on the
    floor, foot contacts detected."""
    lengths = [len(world) for world, _ in clips]
    starts = np.cumsum([0, *lengths])
    targets = np.concatenate([smpl_targets(world) for world, _ in clips])
    poses, trans = fit_smpl_to_joints(
        targets, FITTED_BONES, iterations, FIT_LEARNING_RATE, sequence_starts=starts[1:-1].tolist()
    )
    motions = []
    for (_, fps), a, b in zip(clips, starts[:-1], starts[1:], strict=True):
        clip_poses = poses[a:b]
        clip_trans, joints = stand_on_floor(
            trans[a:b], forward_kinematics(clip_poses, trans[a:b])[0]
        )
        contacts = detect_foot_contacts(joints, fps)
        motions.append(Motion(poses=clip_poses, trans=clip_trans, fps=fps, contacts=contacts))
    return motions
