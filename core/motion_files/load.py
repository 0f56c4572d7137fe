"""Any supported motion file as an SMPL Motion, by its suffix: BVH of a known rig, AIST++
``.pkl``, SMPL ``.npz``.

Numpy only.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.body.motion import DEFAULT_FPS, Motion
from core.errors import MotionFileError
from core.motion_files.aistpp import load_aistpp_motion
from core.motion_files.bvh import read_bvh
from core.motion_files.retarget import retarget_bvh


def load_bvh_motion(path: str | os.PathLike, fps: float = DEFAULT_FPS) -> Motion:
    """A BVH file of a known rig as SMPL motion resampled to ``fps`` (slerp), feet on the floor.

    Raises MotionFileError if the file is malformed or its rig unknown.
    """
    bvh = read_bvh(path)
    try:
        motion = retarget_bvh(bvh)
    except MotionFileError as exc:
        raise MotionFileError(f"{os.fspath(path)}: {exc}") from exc
    return motion.resampled(fps)


def load_any_motion(path: str | os.PathLike, fps: float = DEFAULT_FPS) -> Motion:
    """Motion from a BVH (a known rig), an AIST++ ``.pkl`` or an AMASS-style ``.npz``, on the
    SMPL skeleton at ``fps``. Raises MotionFileError for any other suffix or a malformed file."""
    suffix = Path(path).suffix.lower()
    if suffix == ".bvh":
        return load_bvh_motion(path, fps)
    if suffix == ".pkl":
        return load_aistpp_motion(path).resampled(fps)
    if suffix == ".npz":
        return Motion.load_npz(path).resampled(fps)
    raise MotionFileError(f"{Path(path).name}: motion files are .bvh, .pkl (AIST++) or .npz")
