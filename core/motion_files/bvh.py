"""BVH files: parsing any rig, forward kinematics on it, and writing the SMPL skeleton.

The format is Biovision's hierarchy-plus-channels text (as read by Blender's ``import_anim_bvh``
and the CMU conversions): a ``HIERARCHY`` of joints with ``OFFSET`` and ``CHANNELS``, then a
``MOTION`` block of one line of channel values per frame. Rotation channels are Euler angles in
degrees, applied in the order listed (``Zrotation Yrotation Xrotation`` is ``Rz @ Ry @ Rx``);
position channels of a joint replace its offset. Every fault is a ``MotionFileError`` naming the
line; nothing in a BVH file is ever evaluated.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from core.atomic import atomic_write
from core.body.motion import MAX_FRAMES, Motion
from core.body.skeleton import JOINT_NAMES, N_JOINTS, PARENTS, REST_OFFSETS
from core.errors import MotionFileError

MAX_BVH_BYTES = 1024 * 2**20
MAX_JOINTS = 1000
MAX_DEPTH = 100  # a chain from root to fingertip is under 30; the parser recurses per level
_AXES = {"X": 0, "Y": 1, "Z": 2}


@dataclass
class Bvh:
    """A parsed BVH file.

    names : joint names, parents before children
    parents : parent index per joint, -1 for the root
    offsets : (J, 3) float64 rest offset of each joint from its parent, file units
    channels : per joint, its channel names in file order (``Xposition``, ``Zrotation``, ...)
    frames : (T, C) float64 channel values, file units and degrees
    frame_time : seconds per frame, as the header gives it
    """

    names: list[str]
    parents: list[int]
    offsets: np.ndarray
    channels: list[list[str]]
    frames: np.ndarray
    frame_time: float

    @property
    def fps(self) -> float:
        """Frames per second. Headers round the frame time (0.008333 s for 120 fps), so a rate
        within 0.05 % of a whole number is that number."""
        rate = 1.0 / self.frame_time
        return float(round(rate)) if abs(rate - round(rate)) < 5e-4 * rate else rate

    def forward_kinematics(self) -> tuple[np.ndarray, np.ndarray]:
        """Global joint positions ``(T, J, 3)`` (file units) and rotations ``(T, J, 3, 3)``."""
        n_frames, n_joints = len(self.frames), len(self.names)
        rotations = np.empty((n_frames, n_joints, 3, 3))
        positions = np.empty((n_frames, n_joints, 3))
        column = 0
        for j, joint_channels in enumerate(self.channels):
            values = self.frames[:, column : column + len(joint_channels)]
            column += len(joint_channels)
            translation = np.broadcast_to(self.offsets[j], (n_frames, 3)).copy()
            axes = ""
            angles = []
            for k, name in enumerate(joint_channels):
                if name.endswith("position"):
                    translation[:, _AXES[name[0]]] = values[:, k]
                else:
                    axes += name[0]
                    angles.append(values[:, k])
            local = np.broadcast_to(np.eye(3), (n_frames, 3, 3))
            if axes:
                # Upper-case axes are intrinsic rotations: "ZYX" gives Rz @ Ry @ Rx.
                euler = np.stack(angles, axis=1)
                local = Rotation.from_euler(axes, euler, degrees=True).as_matrix()
            parent = self.parents[j]
            if parent < 0:
                rotations[:, j], positions[:, j] = local, translation
            else:
                rotations[:, j] = rotations[:, parent] @ local
                positions[:, j] = positions[:, parent] + np.einsum(
                    "tij,tj->ti", rotations[:, parent], translation
                )
        return positions, rotations

    def rest_positions(self) -> np.ndarray:
        """Joint positions with every rotation zero and the root at its offset: ``(J, 3)``."""
        positions = np.zeros_like(self.offsets)
        for j, parent in enumerate(self.parents):
            positions[j] = self.offsets[j] + (positions[parent] if parent >= 0 else 0.0)
        return positions


class _Tokens:
    """Whitespace tokens of the hierarchy with their line numbers, for error messages."""

    def __init__(self, lines: list[str], name: str):
        self.items = [(word, i + 1) for i, line in enumerate(lines) for word in line.split()]
        self.position = 0
        self.name = name

    def next(self, expected: str | None = None) -> str:
        if self.position >= len(self.items):
            raise MotionFileError(f"{self.name}: the hierarchy ends early")
        word, line = self.items[self.position]
        self.position += 1
        if expected is not None and word.upper() != expected:
            raise MotionFileError(f"{self.name}, line {line}: expected {expected}, found {word!r}")
        return word

    def number(self) -> float:
        word = self.next()
        try:
            value = float(word)
        except ValueError:
            raise MotionFileError(
                f"{self.name}, line {self.line}: {word!r} is not a number"
            ) from None
        if not np.isfinite(value):
            raise MotionFileError(f"{self.name}, line {self.line}: {word!r} is not finite")
        return value

    @property
    def line(self) -> int:
        return self.items[self.position - 1][1]


def _parse_joint(
    tokens: _Tokens, bvh: Bvh, offsets: list, parent: int, name: str, depth: int = 0
) -> None:
    """Read one joint and its children into ``bvh`` (names, parents, channels) and ``offsets``."""
    index = len(bvh.names)
    if index >= MAX_JOINTS:
        raise MotionFileError(f"{tokens.name}: over {MAX_JOINTS} joints")
    if depth > MAX_DEPTH:
        raise MotionFileError(f"{tokens.name}: joints nested over {MAX_DEPTH} deep")
    bvh.names.append(name)
    bvh.parents.append(parent)
    tokens.next("{")
    tokens.next("OFFSET")
    offset = [tokens.number() for _ in range(3)]
    tokens.next("CHANNELS")
    count = tokens.number()
    if count not in (0, 3, 6):
        raise MotionFileError(f"{tokens.name}, line {tokens.line}: {count:g} channels on {name}")
    channels = [tokens.next() for _ in range(int(count))]
    for channel in channels:
        if channel[:1] not in _AXES or channel[1:] not in ("position", "rotation"):
            raise MotionFileError(f"{tokens.name}, line {tokens.line}: unknown channel {channel!r}")
    bvh.channels.append(channels)
    offsets.append(offset)
    while True:
        word = tokens.next()
        if word == "}":
            return
        if word.upper() == "JOINT":
            _parse_joint(tokens, bvh, offsets, index, tokens.next(), depth + 1)
        elif word.upper() == "END":
            tokens.next("SITE")
            tokens.next("{")
            tokens.next("OFFSET")
            for _ in range(3):
                tokens.number()
            tokens.next("}")
        else:
            raise MotionFileError(f"{tokens.name}, line {tokens.line}: unexpected {word!r}")


def read_bvh(path: str | os.PathLike) -> Bvh:
    """Parse a BVH file.

    Raises MotionFileError if it is missing, over 1 GiB, not a BVH, has a joint without channels
    where frames carry values, a non-number, NaN or infinity, a frame count over ``MAX_FRAMES`` or
    unlike the frames present, or a frame time that is not positive.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise MotionFileError(f"{path}: no such file")
    if path.stat().st_size > MAX_BVH_BYTES:
        raise MotionFileError(f"{name} is over {MAX_BVH_BYTES // 2**20} MiB")
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise MotionFileError(f"{name}: not a readable text file ({exc})") from exc
    return parse_bvh(text, name)


def parse_bvh(text: str, name: str = "BVH") -> Bvh:
    """Parse BVH text; ``name`` starts every error message. Raises MotionFileError as
    ``read_bvh`` does."""
    lines = text.splitlines()
    motion_line = next(
        (i for i, line in enumerate(lines) if line.strip().upper() == "MOTION"), None
    )
    if motion_line is None:
        raise MotionFileError(f"{name}: no MOTION section; not a BVH file")
    tokens = _Tokens(lines[:motion_line], name)
    tokens.next("HIERARCHY")
    tokens.next("ROOT")
    bvh = Bvh([], [], np.zeros((0, 3)), [], np.zeros((0, 0)), 1.0)
    offsets: list[list[float]] = []
    _parse_joint(tokens, bvh, offsets, -1, tokens.next())
    bvh.offsets = np.asarray(offsets, dtype=np.float64)
    if tokens.position != len(tokens.items):
        raise MotionFileError(f"{name}: more than one ROOT or text after the hierarchy")

    header = lines[motion_line + 1 : motion_line + 3]
    if len(header) < 2 or not header[0].strip().lower().startswith("frames:"):
        raise MotionFileError(f"{name}, line {motion_line + 2}: expected 'Frames: N'")
    if not header[1].strip().lower().startswith("frame time:"):
        raise MotionFileError(f"{name}, line {motion_line + 3}: expected 'Frame Time: seconds'")
    try:
        n_frames = int(header[0].split(":", 1)[1])
        bvh.frame_time = float(header[1].split(":", 1)[1])
    except ValueError as exc:
        raise MotionFileError(f"{name}: malformed frame count or frame time ({exc})") from exc
    if not 1 <= n_frames <= MAX_FRAMES:
        raise MotionFileError(f"{name}: {n_frames} frames; a motion holds 1 to {MAX_FRAMES}")
    if not (np.isfinite(bvh.frame_time) and 1e-4 <= bvh.frame_time <= 1.0):
        raise MotionFileError(f"{name}: frame time {bvh.frame_time} s is not a frame rate")

    n_channels = sum(len(c) for c in bvh.channels)
    if n_channels == 0:
        raise MotionFileError(f"{name}: no joint has channels")
    body = lines[motion_line + 3 : motion_line + 3 + n_frames]
    if len(body) < n_frames:
        raise MotionFileError(
            f"{name}: the header says {n_frames} frames, the file has {len(body)}"
        )
    try:
        values = np.array(" ".join(body).split(), dtype=np.float64)
    except ValueError as exc:
        raise MotionFileError(f"{name}: a frame holds a non-number ({exc})") from exc
    if values.size != n_frames * n_channels:
        raise MotionFileError(
            f"{name}: {values.size} values for {n_frames} frames of {n_channels} channels"
        )
    if not np.all(np.isfinite(values)):
        frame = int(np.argwhere(~np.isfinite(values))[0, 0]) // n_channels
        raise MotionFileError(f"{name}: frame {frame} holds NaN or infinity")
    bvh.frames = values.reshape(n_frames, n_channels)
    return bvh


def write_smpl_bvh(motion: Motion, path: str | os.PathLike) -> Path:
    """Write a Motion as a BVH of the SMPL skeleton, in metres, Y-up, at the motion's frame rate.

    Joints carry SMPL's names and rest offsets (``core.body.skeleton``); the pelvis has position
    channels, every joint ``Zrotation Yrotation Xrotation``. The file is written atomically.
    """
    path = Path(path)
    children: dict[int, list[int]] = {j: [] for j in range(N_JOINTS)}
    for j in range(1, N_JOINTS):
        children[PARENTS[j]].append(j)
    lines = ["HIERARCHY"]
    order: list[int] = []  # joints in the depth-first order the file lists their channels

    def joint(j: int, depth: int) -> None:
        order.append(j)
        pad = "\t" * depth
        keyword = "ROOT" if j == 0 else "JOINT"
        lines.append(f"{pad}{keyword} {JOINT_NAMES[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}\tOFFSET {' '.join(f'{v:.8f}' for v in REST_OFFSETS[j])}")
        position = "Xposition Yposition Zposition " if j == 0 else ""
        count = 6 if j == 0 else 3
        lines.append(f"{pad}\tCHANNELS {count} {position}Zrotation Yrotation Xrotation")
        for child in children[j]:
            joint(child, depth + 1)
        if not children[j]:
            lines.extend([f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET 0 0 0", f"{pad}\t}}"])
        lines.append(f"{pad}}}")

    joint(0, 0)
    rotations = Rotation.from_rotvec(motion.poses.reshape(-1, 3).astype(np.float64))
    with warnings.catch_warnings():
        # At a 90 degree middle angle scipy warns and picks one of the equal decompositions.
        warnings.simplefilter("ignore", UserWarning)
        euler = rotations.as_euler("ZYX", degrees=True).reshape(motion.n_frames, N_JOINTS, 3)
    values = np.concatenate(
        [motion.trans.astype(np.float64), euler[:, order].reshape(motion.n_frames, -1)], axis=1
    )
    lines += ["MOTION", f"Frames: {motion.n_frames}", f"Frame Time: {1.0 / motion.fps:.8f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in values]
    with atomic_write(path) as fh:
        fh.write(("\n".join(lines) + "\n").encode("utf-8"))
    return path
