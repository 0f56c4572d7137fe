"""The ``Motion`` type: an SMPL dance as arrays, and its ``.npz`` file format.

File keys follow AMASS (``poses`` (T, 72), ``trans`` (T, 3), ``mocap_framerate``) plus
``contacts`` (T, 4: left ankle, left foot, right ankle, right foot) and ``beats`` /
``downbeats`` in seconds. Files are read with ``allow_pickle=False``: an ``.npz`` can never run
code here.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from core.atomic import atomic_write
from core.body.skeleton import N_JOINTS, forward_kinematics
from core.errors import MotionFileError
from core.npz import read_npz

DEFAULT_FPS = 30.0  # frames per second of a dance unless asked otherwise: EDGE's rate, DESIGN.md §3
MAX_FRAMES = 60 * 60 * 240  # an hour at 240 fps: past that a file is malformed, not a dance
# Past these a file is malformed, not a dance: a rotation vector is an angle below pi (axis-angle
# exports may wind further, never 160 turns); a stage is not 10 km across.
MAX_ROTATION_RAD = 1e3
MAX_TRANSLATION_M = 1e4
MAX_NPZ_BYTES = 2**30  # an hour at 240 fps of SMPL-X poses in float32 is 0.6 GB inflated


@dataclass
class Motion:
    """An SMPL motion.

    poses : (T, 24, 3) float32, axis-angle radians, local to the parent joint
    trans : (T, 3) float32, metres, pelvis position, Y-up
    fps : float, frames per second
    contacts : (T, 4) float32 in {0, 1}: left ankle, left foot, right ankle, right foot
    beats, downbeats : (n,) float64, seconds, the music the motion was made for (may be empty)

    Raises MotionFileError if shapes disagree or values are not finite.
    """

    poses: np.ndarray
    trans: np.ndarray
    fps: float
    contacts: np.ndarray
    beats: np.ndarray = field(default_factory=lambda: np.zeros(0))
    downbeats: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        self.poses = np.asarray(self.poses, dtype=np.float32)
        self.trans = np.asarray(self.trans, dtype=np.float32)
        self.contacts = np.asarray(self.contacts, dtype=np.float32)
        self.beats = np.asarray(self.beats, dtype=np.float64).reshape(-1)
        self.downbeats = np.asarray(self.downbeats, dtype=np.float64).reshape(-1)
        self.fps = float(self.fps)
        n = len(self.poses)
        expected = {
            "poses": (self.poses, (n, N_JOINTS, 3)),
            "trans": (self.trans, (n, 3)),
            "contacts": (self.contacts, (n, 4)),
        }
        for name, (array, shape) in expected.items():
            if array.shape != shape:
                raise MotionFileError(f"{name} has shape {array.shape}, expected {shape}")
            if not np.all(np.isfinite(array)):
                raise MotionFileError(f"{name} holds NaN or infinite values")
        if np.abs(self.poses).max(initial=0.0) > MAX_ROTATION_RAD:
            raise MotionFileError(f"poses hold rotations past {MAX_ROTATION_RAD:g} radians")
        if np.abs(self.trans).max(initial=0.0) > MAX_TRANSLATION_M:
            raise MotionFileError(f"trans holds positions past {MAX_TRANSLATION_M:g} m")
        if not (n >= 1 and n <= MAX_FRAMES):
            raise MotionFileError(f"a motion needs 1 to {MAX_FRAMES} frames, got {n}")
        if not (np.isfinite(self.fps) and 1.0 <= self.fps <= 1000.0):
            raise MotionFileError(f"frame rate {self.fps} is not between 1 and 1000 fps")

    @property
    def n_frames(self) -> int:
        return len(self.poses)

    @property
    def duration(self) -> float:
        """Seconds covered by the frames."""
        return self.n_frames / self.fps

    def joint_positions(self) -> np.ndarray:
        """Global joint positions by forward kinematics: ``(T, 24, 3)`` float64 metres, Y-up."""
        return forward_kinematics(self.poses, self.trans)[0]

    def resampled(self, fps: float) -> Motion:
        """The motion at another frame rate: frames at ``k / fps`` seconds up to the last source
        frame's time, sampled as ``sampled_at`` does; never dropped or repeated by an integer
        step (DESIGN.md §3)."""
        if fps == self.fps:
            return self
        n_out = int(np.floor((self.n_frames - 1) / self.fps * fps + 1e-6)) + 1
        return self.sampled_at(np.arange(n_out) / fps, fps)

    def sampled_at(self, times: np.ndarray, fps: float) -> Motion:
        """A new motion whose frame i is this motion at ``times[i]`` seconds (clamped to its
        span): joint rotations by slerp, the pelvis linearly, foot contacts from the nearest
        frame. ``fps`` is the new motion's frame rate; beats and downbeats are kept as they are.
        """
        source_times = np.arange(self.n_frames) / self.fps
        times = np.clip(np.asarray(times, dtype=np.float64), 0.0, source_times[-1])
        poses = np.empty((len(times), N_JOINTS, 3))
        for j in range(N_JOINTS):
            if self.n_frames == 1:
                poses[:, j] = self.poses[0, j]
                continue
            slerp = Slerp(source_times, Rotation.from_rotvec(self.poses[:, j].astype(np.float64)))
            poses[:, j] = slerp(times).as_rotvec()
        trans = np.stack([np.interp(times, source_times, self.trans[:, k]) for k in range(3)], 1)
        nearest = np.clip(np.rint(times * self.fps).astype(int), 0, self.n_frames - 1)
        return Motion(
            poses=poses,
            trans=trans,
            fps=fps,
            contacts=self.contacts[nearest],
            beats=self.beats,
            downbeats=self.downbeats,
        )

    def save_npz(self, path: str | os.PathLike) -> Path:
        """Write the AMASS-style ``.npz`` atomically (a crash leaves no half-written file)."""
        with atomic_write(path) as fh:
            np.savez(
                fh,
                poses=self.poses.reshape(self.n_frames, N_JOINTS * 3),
                trans=self.trans,
                mocap_framerate=np.float64(self.fps),
                contacts=self.contacts,
                beats=self.beats,
                downbeats=self.downbeats,
            )
        return Path(path)

    @classmethod
    def load_npz(cls, path: str | os.PathLike) -> Motion:
        """Read an AMASS-style ``.npz``; ``contacts``, ``beats`` and ``downbeats`` are optional.

        AMASS files with SMPL-H/SMPL-X poses (156 or 165 values per frame) keep their first 72.
        Raises MotionFileError if the file is missing, not an npz, holds pickled objects, or has
        missing keys or wrong shapes.
        """
        path = Path(path)
        try:
            arrays = read_npz(path, MAX_NPZ_BYTES)
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise MotionFileError(f"{path.name}: not a readable motion .npz ({exc})") from exc
        missing = {"poses", "trans", "mocap_framerate"} - arrays.keys()
        if missing:
            raise MotionFileError(f"{path.name}: missing keys {sorted(missing)}")
        poses = arrays["poses"]
        if poses.ndim != 2 or poses.shape[1] < N_JOINTS * 3:
            raise MotionFileError(f"{path.name}: poses has shape {poses.shape}, expected (T, 72)")
        n = len(poses)
        try:
            return cls(
                poses=poses[:, : N_JOINTS * 3].reshape(n, N_JOINTS, 3),
                trans=arrays["trans"],
                fps=float(arrays["mocap_framerate"]),
                contacts=arrays.get("contacts", np.zeros((n, 4))),
                beats=arrays.get("beats", np.zeros(0)),
                downbeats=arrays.get("downbeats", np.zeros(0)),
            )
        except MotionFileError as exc:
            raise MotionFileError(f"{path.name}: {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise MotionFileError(f"{path.name}: malformed values ({exc})") from exc
