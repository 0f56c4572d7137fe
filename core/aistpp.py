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
import pickletools
from pathlib import Path

import numpy as np

from core.contacts import detect_foot_contacts
from core.errors import MotionFileError
from core.motion import MAX_FRAMES, Motion
from core.skeleton import N_JOINTS, forward_kinematics

AISTPP_FPS = 60.0
MAX_PICKLE_BYTES = 512 * 1024 * 1024
MAX_MEMO_INDEX = 1 << 20  # AIST++ files memoise a few dozen objects
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
    return loads_arrays_pickle(path.read_bytes(), path.name)


def loads_arrays_pickle(data: bytes, name: str = "pickle") -> dict:
    """A pickled dict of arrays from bytes, loaded without running code. Raises MotionFileError."""
    try:
        for opcode, argument, _ in pickletools.genops(data):
            # The C unpickler sizes its memo by the largest index named: a few bytes asking for
            # index 5e8 would allocate gigabytes (found by tests/fuzz).
            if opcode.name.endswith("PUT") and argument > MAX_MEMO_INDEX:
                raise pickle.UnpicklingError(f"memo index {argument} is past {MAX_MEMO_INDEX}")
        loaded = ArraysOnlyUnpickler(io.BytesIO(data)).load()
    except Exception as exc:  # every decode fault, and every refusal, is the file's fault
        raise MotionFileError(f"{name}: not a plain-data pickle ({exc})") from exc
    if not isinstance(loaded, dict):
        raise MotionFileError(f"{name}: holds a {type(loaded).__name__}, not a dict")
    return loaded


def load_aistpp_motion(path: str | os.PathLike) -> Motion:
    """An AIST++ motion ``.pkl`` as a Motion at 60 fps in metres, with foot contacts.

    Raises MotionFileError on a refused or malformed pickle or wrong shapes.
    """
    return aistpp_motion(load_arrays_pickle(path), Path(path).name)


def aistpp_motion(data: dict, name: str = "AIST++ motion") -> Motion:
    """The Motion of an AIST++ motion dict (as ``load_aistpp_motion``). Raises MotionFileError."""
    try:
        poses = np.asarray(data["smpl_poses"], dtype=np.float64)
        trans = np.asarray(data["smpl_trans"], dtype=np.float64)
        scaling = float(np.asarray(data.get("smpl_scaling", 1.0)).reshape(-1)[0])
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise MotionFileError(f"{name}: missing or malformed smpl_* arrays ({exc})") from exc
    n = poses.shape[0] if poses.ndim == 2 else 0
    if poses.shape != (n, N_JOINTS * 3) or trans.shape != (n, 3) or not 0 < n <= MAX_FRAMES:
        raise MotionFileError(f"{name}: smpl_poses {poses.shape}, smpl_trans {trans.shape}")
    if not (np.isfinite(poses).all() and np.isfinite(trans).all()):
        raise MotionFileError(f"{name}: smpl_poses or smpl_trans hold NaN or infinity")
    if not np.isfinite(scaling) or scaling <= 0:
        raise MotionFileError(f"{name}: smpl_scaling {scaling} is not a positive number")
    poses = poses.reshape(n, N_JOINTS, 3)
    trans = trans / scaling
    joints, _ = forward_kinematics(poses, trans)
    return Motion(
        poses=poses, trans=trans, fps=AISTPP_FPS, contacts=detect_foot_contacts(joints, AISTPP_FPS)
    )
