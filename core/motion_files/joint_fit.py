"""Fitting SMPL poses to 3-D joint positions by gradient descent (an IK fit in torch).

Capture systems name and proportion their joints differently from SMPL, so the fit matches bone
*directions* (1 - cosine per corresponding bone) rather than positions, and the root by the
midpoint of the hips. Unobserved joints are held near the rest pose and the poses are smoothed
over time, which also damps capture jitter.
"""

from __future__ import annotations

import numpy as np
import torch

from core.body.skeleton import HIPS, KNEES, N_JOINTS, PARENTS, REST_OFFSETS

# The fit's loss weights, per squared metre of joint error (chosen by hand on tang2018's takes:
# benchmarks/tang2018_fit.py prints the bone-direction error they reach).
SMOOTHNESS_WEIGHT = 0.5  # frame-to-frame change of the rotations
REST_WEIGHT = 0.01  # all joints; unobserved ones are held by this alone
KNEE_HINGE_WEIGHT = 1.0  # knees bend about their X axis only
ROOT_WEIGHT = 10.0  # the hips' midpoint, which places the root


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula: (..., 3) radians to (..., 3, 3), smooth through zero."""
    angle = axis_angle.norm(dim=-1, keepdim=True).clamp(min=1e-8)
    x, y, z = (axis_angle / angle).unbind(-1)
    zero = torch.zeros_like(x)
    skew = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).view(*x.shape, 3, 3)
    s, c = torch.sin(angle)[..., None], torch.cos(angle)[..., None]
    eye = torch.eye(3, dtype=axis_angle.dtype, device=axis_angle.device)
    return eye + s * skew + (1 - c) * skew @ skew


def forward_kinematics_torch(poses: torch.Tensor, trans: torch.Tensor) -> torch.Tensor:
    """Differentiable SMPL forward kinematics: (T, 24, 3) axis-angle, (T, 3) to (T, 24, 3)."""
    local = axis_angle_to_matrix(poses)
    offsets = torch.as_tensor(REST_OFFSETS, dtype=poses.dtype, device=poses.device)
    rotations, positions = [local[:, 0]], [trans]
    for j in range(1, N_JOINTS):
        parent = PARENTS[j]
        positions.append(positions[parent] + rotations[parent] @ offsets[j])
        rotations.append(rotations[parent] @ local[:, j])
    return torch.stack(positions, dim=1)


def fit_smpl_to_joints(
    targets: np.ndarray,
    bones: list[tuple[int, int]],
    iterations: int = 400,
    learning_rate: float = 0.05,
    sequence_starts: list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """SMPL ``poses`` (T, 24, 3) and ``trans`` (T, 3) whose bones point like the targets'.

    targets : (T, 24, 3) metres, Y-up, the target position of each SMPL joint, NaN where the
        source has no such joint; both hips must be given (the root follows their midpoint)
    bones : (parent, child) SMPL joint pairs whose directions are matched; both ends given
    sequence_starts : frames where a new clip begins when several are fitted in one batch (much
        faster than one by one: the cost is per operation, not per frame); smoothing stops there
    """
    target = torch.as_tensor(targets, dtype=torch.float32)
    hip_mid = target[:, list(HIPS)].mean(dim=1)
    rest_drop = torch.as_tensor(REST_OFFSETS[list(HIPS)].mean(axis=0), dtype=torch.float32)
    poses = torch.zeros(len(target), N_JOINTS, 3, requires_grad=True)
    trans = (hip_mid - rest_drop).clone().requires_grad_(True)
    parents, children = (list(index) for index in zip(*bones, strict=True))
    wanted = torch.nn.functional.normalize(target[:, children] - target[:, parents], dim=-1)
    continuous = torch.ones(len(target) - 1)
    for start in sequence_starts or []:
        if 0 < start < len(target):
            continuous[start - 1] = 0.0
    optimizer = torch.optim.Adam([poses, trans], lr=learning_rate)
    for _ in range(iterations):
        joints = forward_kinematics_torch(poses, trans)
        direction = torch.nn.functional.normalize(joints[:, children] - joints[:, parents], dim=-1)
        loss = (1 - (direction * wanted).sum(-1)).mean()
        loss = (
            loss + ROOT_WEIGHT * ((joints[:, list(HIPS)].mean(dim=1) - hip_mid) ** 2).sum(-1).mean()
        )
        change = ((poses[1:] - poses[:-1]) ** 2).sum(-1).mean(-1)
        loss = loss + SMOOTHNESS_WEIGHT * (change * continuous).mean()
        loss = loss + REST_WEIGHT * (poses**2).sum(-1).mean()
        loss = loss + KNEE_HINGE_WEIGHT * (poses[:, list(KNEES), 1:] ** 2).sum(-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return poses.detach().numpy(), trans.detach().numpy()


def bone_direction_error(
    joints: np.ndarray, targets: np.ndarray, bones: list[tuple[int, int]]
) -> np.ndarray:
    """Angle in degrees between fitted and target bone directions: (T, n_bones)."""
    parents, children = (list(index) for index in zip(*bones, strict=True))
    a = joints[:, children] - joints[:, parents]
    b = targets[:, children] - targets[:, parents]
    cosine = np.sum(a * b, -1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
