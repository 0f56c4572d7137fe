"""AIST++ motion files (``.pkl`` with ``smpl_poses``, ``smpl_trans``, ``smpl_scaling``).

AIST++ ships motion as Python pickles, and a pickle can run any code when loaded. These are read
with an unpickler that admits only what those files hold: numpy arrays, numpy scalars and dtypes,
and plain containers. Anything else (``os.system``, ``builtins.eval``, ...) is refused before it
is called. AIST++ translations are in centimetres at 60 fps; ``smpl_scaling`` divides them.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np

from core.contacts import detect_foot_contacts
from core.errors import MotionFileError
from core.motion import MAX_FRAMES, Motion
from core.skeleton import N_JOINTS, forward_kinematics

AISTPP_FPS = 60.0
MAX_PICKLE_BYTES = 512 * 1024 * 1024
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("collections", "OrderedDict"),
}


class ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers; refuses every other global."""

    def find_class(self, module: str, name: str):
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name}: not plain data")


def load_arrays_pickle(path: str | os.PathLike) -> dict:
    """A pickled dict of arrays, loaded without running code. Raises MotionFileError."""
    path = Path(path)
    if not path.is_file():
        raise MotionFileError(f"{path}: no such file")
    if path.stat().st_size > MAX_PICKLE_BYTES:
        raise MotionFileError(f"{path.name} is over {MAX_PICKLE_BYTES // 2**20} MiB")
    try:
        data = ArraysOnlyUnpickler(io.BytesIO(path.read_bytes())).load()
    except Exception as exc:  # every decode fault, and every refusal, is the file's fault
        raise MotionFileError(f"{path.name}: not a plain-data pickle ({exc})") from exc
    if not isinstance(data, dict):
        raise MotionFileError(f"{path.name}: holds a {type(data).__name__}, not a dict")
    return data


def load_aistpp_motion(path: str | os.PathLike) -> Motion:
    """An AIST++ motion ``.pkl`` as a Motion at 60 fps in metres, with foot contacts.

    Raises MotionFileError on a refused or malformed pickle or wrong shapes.
    """
    name = Path(path).name
    data = load_arrays_pickle(path)
    try:
        poses = np.asarray(data["smpl_poses"], dtype=np.float64)
        trans = np.asarray(data["smpl_trans"], dtype=np.float64)
        scaling = float(np.asarray(data.get("smpl_scaling", 1.0)).reshape(-1)[0])
    except (KeyError, TypeError, ValueError) as exc:
        raise MotionFileError(f"{name}: missing or malformed smpl_* arrays ({exc})") from exc
    n = len(poses)
    if poses.shape != (n, N_JOINTS * 3) or trans.shape != (n, 3) or not 0 < n <= MAX_FRAMES:
        raise MotionFileError(f"{name}: smpl_poses {poses.shape}, smpl_trans {trans.shape}")
    if not np.isfinite(scaling) or scaling <= 0:
        raise MotionFileError(f"{name}: smpl_scaling {scaling} is not a positive number")
    poses = poses.reshape(n, N_JOINTS, 3)
    trans = trans / scaling
    joints, _ = forward_kinematics(poses, trans)
    return Motion(
        poses=poses, trans=trans, fps=AISTPP_FPS, contacts=detect_foot_contacts(joints, AISTPP_FPS)
    )
