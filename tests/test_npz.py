"""Hostile .npz files are refused before they hang, allocate or inflate anything."""

import io
import os
import zipfile

import numpy as np
import pytest

from core.body.motion import Motion
from core.choreography.library import MotionLibrary
from core.errors import MotionFileError
from core.npz import read_npz

LOADERS = {"motion": Motion.load_npz, "library": MotionLibrary.load}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_fifo_named_npz_is_refused_at_once(tmp_path, loader):
    fifo = tmp_path / "dance.npz"
    os.mkfifo(fifo)
    with pytest.raises(MotionFileError):
        LOADERS[loader](fifo)


def lying_header(path, shape=(10**9, 72)):
    """A few bytes whose .npy header claims a (10^9, 72) float32 array."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("poses.npy", header.getvalue() + b"\0" * 64)
    return path


def test_a_header_that_claims_more_than_the_file_holds_is_refused(tmp_path):
    with pytest.raises(ValueError, match="claims more"):
        read_npz(lying_header(tmp_path / "liar.npz"), 2**30)
    with pytest.raises(MotionFileError, match="claims more"):
        Motion.load_npz(tmp_path / "liar.npz")


def test_an_archive_that_inflates_past_the_cap_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, poses=np.zeros((40_000, 72), np.float32))  # 11.5 MB of zeros
    assert path.stat().st_size < 50_000
    with pytest.raises(ValueError, match="inflates"):
        read_npz(path, 2**20)  # the same check the loaders make at 1 GiB


def test_object_arrays_are_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, poses=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="objects"):
        read_npz(path, 2**30)
