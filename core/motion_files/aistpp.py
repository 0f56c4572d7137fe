"""AIST++ motion files (``.pkl`` with ``smpl_poses``, ``smpl_trans``, ``smpl_scaling``).

AIST++ ships motion as Python pickles, and a pickle can run any code when loaded. These are read
with an unpickler that admits only what those files hold: numeric numpy arrays and scalars, and
plain containers. Anything else (``os.system``, ``builtins.eval``, ...) is refused before it is
called. numpy's own pickle hooks are not called either: ``dtype.__setstate__`` trusts the flags it
is given, and a flipped flag byte crashes the interpreter (found by tests/fuzz). The numpy globals
are stand-ins that check each field and build the array with ``np.frombuffer``. AIST++
translations are in centimetres at 60 fps; ``smpl_scaling`` divides them.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import pickletools
import re
from collections import OrderedDict
from pathlib import Path

import numpy as np

from core.body.contacts import detect_foot_contacts
from core.body.motion import MAX_FRAMES, Motion
from core.body.skeleton import N_JOINTS, forward_kinematics
from core.errors import MotionFileError

AISTPP_FPS = 60.0
MAX_PICKLE_BYTES = 512 * 1024 * 1024
MAX_MEMO_INDEX = 1 << 20  # AIST++ files memoise a few dozen objects
MAX_NESTING = 32  # containers within containers
MAX_ENTRIES = 100_000  # container entries in all: an AIST++ file holds a dict of four arrays
MAX_DIMS = 32  # numpy 1's NPY_MAXDIMS
NUMERIC_DTYPE = re.compile(r"[biufc]\d{1,2}")  # how numpy pickles bool, int, float, complex


class _Dtype:
    """Stands in for ``numpy.dtype(spec, align, copy)``; BUILD then gives its byte order."""

    def __init__(self, spec: object, align: object = False, copy: object = True):
        if not (isinstance(spec, str) and NUMERIC_DTYPE.fullmatch(spec)):
            raise pickle.UnpicklingError(f"dtype {spec!r} is not a numeric type")
        self.dtype = np.dtype(spec)

    def __setstate__(self, state: object) -> None:
        # numpy's state: (version, byteorder, subarray, names, fields, elsize, alignment, flags
        # [, metadata]). Only the byte order means anything for a plain numeric type.
        if not (isinstance(state, tuple) and len(state) in (8, 9) and state[0] in (3, 4)):
            raise pickle.UnpicklingError("malformed dtype state")
        byteorder, subarray, names, fields = state[1:5]
        if byteorder not in ("<", ">", "|", "=") or (subarray, names, fields) != (None,) * 3:
            raise pickle.UnpicklingError("dtype state is not a plain numeric type")
        if byteorder in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(byteorder)


class _Array:
    """Stands in for an ndarray: ``_reconstruct`` makes it empty and BUILD gives it data."""

    def __init__(self, array: np.ndarray | None = None):
        self.array = array

    def __setstate__(self, state: object) -> None:
        # ndarray's state: ([version,] shape, dtype, is_fortran, raw bytes).
        if self.array is not None or not isinstance(state, tuple) or len(state) not in (4, 5):
            raise pickle.UnpicklingError("malformed ndarray state")
        shape, dtype, is_fortran, data = state[-4:]
        self.array = _array_from_bytes(data, dtype, shape, "F" if is_fortran else "C")


class _Scalar:
    """Stands in for a numpy scalar, ``scalar(dtype, raw bytes)``."""

    def __init__(self, dtype: object, data: object):
        self.value = _array_from_bytes(data, dtype, (), "C")[()]

    def __setstate__(self, state: object) -> None:
        raise pickle.UnpicklingError("a numpy scalar takes no state")


def _array_from_bytes(data: object, dtype: object, shape: object, order: object) -> np.ndarray:
    """A writable array from a stand-in's raw fields, once each has been checked."""
    if not isinstance(dtype, _Dtype) or not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError("array data is not raw bytes of a numeric dtype")
    if not (
        isinstance(shape, tuple)
        and len(shape) <= MAX_DIMS
        and all(isinstance(n, int) and n >= 0 for n in shape)
        and order in ("C", "F")
    ):
        raise pickle.UnpicklingError(f"malformed array shape {shape!r}")
    if math.prod(shape) * dtype.dtype.itemsize != len(data):
        raise pickle.UnpicklingError(f"{len(data)} bytes do not fill {shape} {dtype.dtype}")
    return np.frombuffer(data, dtype.dtype).reshape(shape, order=order).copy()


def _reconstruct(cls: object, shape: object, typecode: object) -> _Array:
    return _Array()


def _frombuffer(data: object, dtype: object, shape: object, order: object) -> _Array:
    return _Array(_array_from_bytes(data, dtype, shape, order))  # pickle protocol 5


def _latin1_bytes(text: object, encoding: object) -> bytes:
    # Protocol 2 has no bytes opcode: pickle writes bytes as _codecs.encode(text, "latin1").
    if not (isinstance(text, str) and encoding == "latin1"):
        raise pickle.UnpicklingError("_codecs.encode is admitted only for latin-1 bytes")
    return text.encode("latin1")


_NDARRAY = object()  # the class argument of _reconstruct; never called
_NUMPY_CORE = ("numpy.core", "numpy._core")  # numpy 1 and numpy 2 pickle under either
ADMITTED_GLOBALS = {
    **{(f"{core}.multiarray", "_reconstruct"): _reconstruct for core in _NUMPY_CORE},
    **{(f"{core}.multiarray", "scalar"): _Scalar for core in _NUMPY_CORE},
    **{(f"{core}.numeric", "_frombuffer"): _frombuffer for core in _NUMPY_CORE},
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _Dtype,
    ("_codecs", "encode"): _latin1_bytes,
    ("collections", "OrderedDict"): OrderedDict,
}


class ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles numeric numpy arrays and plain containers; refuses every other global."""

    def find_class(self, module: str, name: str):
        try:
            return ADMITTED_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load {module}.{name}: not plain data"
            ) from None


def _resolved(root: object) -> object:
    """``root`` with every stand-in replaced by the numpy object it stands for.

    A container the pickle refers to several times is resolved once and shared, as it was in
    the pickle, and at most ``MAX_ENTRIES`` container entries are visited in all: lists that
    refer to each other would otherwise expand exponentially (a 591-byte file exhausted memory).
    """
    memo: dict[int, object] = {}
    budget = [MAX_ENTRIES]

    def resolve(value: object, depth: int) -> object:
        if depth > MAX_NESTING:
            raise pickle.UnpicklingError(f"nested deeper than {MAX_NESTING}")
        if isinstance(value, _Array):
            if value.array is None:
                raise pickle.UnpicklingError("an ndarray without data")
            return value.array
        if isinstance(value, _Scalar):
            return value.value
        if isinstance(value, _Dtype):
            return value.dtype
        if value is _NDARRAY:
            raise pickle.UnpicklingError("a bare numpy.ndarray class")
        if not isinstance(value, (dict, list, tuple)):
            return value
        if id(value) in memo:
            return memo[id(value)]
        budget[0] -= len(value)
        if budget[0] < 0:
            raise pickle.UnpicklingError(f"holds more than {MAX_ENTRIES} entries")
        if isinstance(value, dict):
            out: object = type(value)((k, resolve(v, depth + 1)) for k, v in value.items())
        else:
            out = type(value)(resolve(v, depth + 1) for v in value)
        memo[id(value)] = out
        return out

    return resolve(root, 0)


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
        loaded = _resolved(ArraysOnlyUnpickler(io.BytesIO(data)).load())
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
