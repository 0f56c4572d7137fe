"""The motion library: bar-long dance segments, each with its MotionBeat embedding.

A segment is one bar (four beats) of SMPL motion cut at the motion's beats, stored with its
beat times, foot contacts, energy (mean kinetic velocity), style tags and the motion encoder's
bar embedding, so that the choreographer can match it to a bar of music (DESIGN.md §5, after
ChoreoMaster). Each segment starts at the origin facing +Z; the choreographer places it.

Libraries are built by ``core.library_build`` (with torch's motion encoder); this module reads
and holds them with numpy alone, as Blender's Python does. A library is one ``.npz`` of plain
arrays, read with ``allow_pickle=False``.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from core.atomic import atomic_write
from core.errors import MotionFileError
from core.motion import Motion

FPS = 30.0
# The embedded default, ``core.library_build.procedural_library(load_model(DEFAULT_MODEL))``:
# motionbeat library build --procedural --out core/model/weights/procedural_library.npz
DEFAULT_LIBRARY = Path(__file__).resolve().parent / "model" / "weights" / "procedural_library.npz"


@dataclass
class MotionLibrary:
    """Segments stacked: S segments, F frames in all, at ``fps``.

    poses (F, 24, 3) float32 axis-angle; trans (F, 3) float32 metres, each segment starting at
    x = z = 0 facing +Z; contacts (F, 4) float32; starts (S + 1,) int64 frame offsets;
    beats (S, 5) float64 seconds from the segment's start (its four beats' boundaries);
    embeddings (S, E) float32 unit bar embeddings; energy (S,) float32 m/frame;
    names (S,) str; tags (S,) str, comma-separated
    """

    poses: np.ndarray
    trans: np.ndarray
    contacts: np.ndarray
    starts: np.ndarray
    beats: np.ndarray
    embeddings: np.ndarray
    energy: np.ndarray
    names: np.ndarray
    tags: np.ndarray
    fps: float = FPS

    def __len__(self) -> int:
        return len(self.names)

    def segment(self, index: int) -> Motion:
        a, b = self.starts[index], self.starts[index + 1]
        return Motion(
            self.poses[a:b], self.trans[a:b], self.fps, self.contacts[a:b], self.beats[index]
        )

    def tag_sets(self) -> list[set[str]]:
        return [set(t.split(",")) if t else set() for t in self.tags]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the library atomically as one ``.npz``."""
        with atomic_write(path) as fh:
            np.savez_compressed(
                fh, **{f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}
            )
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> MotionLibrary:
        """Read a library. Raises MotionFileError if it is not one."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                values = {f.name: data[f.name] for f in fields(cls)}
        except (OSError, KeyError, ValueError) as exc:
            raise MotionFileError(f"{path.name}: not a motion library ({exc})") from exc
        values["fps"] = float(values["fps"])
        library = cls(**values)
        if len(library.starts) != len(library) + 1 or library.starts[-1] != len(library.poses):
            raise MotionFileError(f"{path.name}: segment offsets do not match its frames")
        return library

    @classmethod
    def concatenate(cls, parts: list[MotionLibrary]) -> MotionLibrary:
        offsets = np.cumsum([0] + [len(p.poses) for p in parts])
        return cls(
            poses=np.concatenate([p.poses for p in parts]),
            trans=np.concatenate([p.trans for p in parts]),
            contacts=np.concatenate([p.contacts for p in parts]),
            starts=np.concatenate(
                [[0]] + [p.starts[1:] + offset for p, offset in zip(parts, offsets, strict=False)]
            ).astype(np.int64),
            beats=np.concatenate([p.beats for p in parts]),
            embeddings=np.concatenate([p.embeddings for p in parts]),
            energy=np.concatenate([p.energy for p in parts]),
            names=np.concatenate([p.names for p in parts]),
            tags=np.concatenate([p.tags for p in parts]),
        )


def facing_yaw(rotations: Rotation) -> np.ndarray:
    """Yaw (radians about +Y) of where rotations turn the body's forward (+Z): ``(T,)``."""
    forward = rotations.apply([0.0, 0.0, 1.0]).reshape(-1, 3)
    return np.arctan2(forward[:, 0], forward[:, 2])


def pelvis_heading(poses: np.ndarray) -> np.ndarray:
    """Yaw of the pelvis of SMPL poses (T, 24, 3): ``(T,)`` radians."""
    return facing_yaw(Rotation.from_rotvec(poses[:, 0]))


def load_libraries(path: str | os.PathLike) -> MotionLibrary:
    """A library file, or every library (``.npz``) in a folder joined into one, in name order.

    Raises MotionFileError if the path is missing, the folder holds no ``.npz``, or a file is
    not a library.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.npz"))
        if not files:
            raise MotionFileError(f"{path}: holds no motion libraries (.npz)")
        return MotionLibrary.concatenate([MotionLibrary.load(f) for f in files])
    if not path.is_file():
        raise MotionFileError(f"{path}: no such motion library")
    return MotionLibrary.load(path)


@functools.cache
def default_library() -> MotionLibrary:
    """The embedded procedural library, read once per process."""
    return MotionLibrary.load(DEFAULT_LIBRARY)
