"""AIST++ .pkl motion, read without running code."""

import pickle
from collections import OrderedDict

import numpy as np
import pytest

from core.errors import MotionFileError
from core.motion_files.aistpp import load_aistpp_motion, loads_arrays_pickle


def write_aistpp(path, n=30, scaling=100.0):
    rng = np.random.default_rng(0)
    data = {
        "smpl_poses": rng.normal(0, 0.2, (n, 72)),
        "smpl_trans": rng.normal(0, 50, (n, 3)),
        "smpl_scaling": np.array([scaling]),
    }
    path.write_bytes(pickle.dumps(data))
    return data


def test_an_aistpp_file_loads_in_metres_at_60_fps(tmp_path):
    data = write_aistpp(tmp_path / "gBR_sBM_cAll_d04_mBR0_ch01.pkl")
    motion = load_aistpp_motion(tmp_path / "gBR_sBM_cAll_d04_mBR0_ch01.pkl")
    assert motion.fps == 60.0 and motion.poses.shape == (30, 24, 3)
    np.testing.assert_allclose(motion.trans, data["smpl_trans"] / 100.0, rtol=1e-6)


class CreatesAFile:
    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("payload", ["top-level", "nested"])
def test_a_pickle_carrying_code_is_refused_and_nothing_runs(tmp_path, payload):
    marker = tmp_path / "pwned"
    evil = CreatesAFile(marker)
    data = evil if payload == "top-level" else {"smpl_poses": np.zeros((2, 72)), "x": [evil]}
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(data))
    with pytest.raises(MotionFileError, match="refused"):
        load_aistpp_motion(tmp_path / "evil.pkl")
    assert not marker.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"smpl_poses": np.zeros((5, 10)), "smpl_trans": np.zeros((5, 3))},
        {"smpl_trans": np.zeros((5, 3))},
        [1, 2, 3],
    ],
    ids=["wrong-width", "no-poses", "not-a-dict"],
)
def test_malformed_aistpp_files_raise(tmp_path, data):
    (tmp_path / "bad.pkl").write_bytes(pickle.dumps(data))
    with pytest.raises(MotionFileError):
        load_aistpp_motion(tmp_path / "bad.pkl")


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_numeric_arrays_and_scalars_load_as_numpy_pickled_them(protocol):
    data = OrderedDict(
        smpl_poses=np.asfortranarray(np.random.default_rng(0).normal(size=(3, 72))),
        big_endian=np.arange(6, dtype=">i4").reshape(2, 3),
        flags=np.array([True, False]),
        smpl_loss=np.float32(0.25),
        nested=[np.zeros(2, np.uint8), (np.complex64(1j),)],
    )
    loaded = loads_arrays_pickle(pickle.dumps(data, protocol=protocol))
    assert type(loaded) is OrderedDict and list(loaded) == list(data)
    for key in ("smpl_poses", "big_endian", "flags"):
        assert loaded[key].dtype == data[key].dtype
        np.testing.assert_array_equal(loaded[key], data[key])
    assert loaded["smpl_loss"] == np.float32(0.25) and loaded["smpl_loss"].dtype == np.float32
    np.testing.assert_array_equal(loaded["nested"][0], np.zeros(2, np.uint8))
    assert loaded["nested"][1][0] == 1j


def test_a_dtype_state_with_forged_flags_never_reaches_numpy():
    # numpy's dtype.__setstate__ takes the flags byte on trust; 61 marks float64 as holding
    # Python objects, and numpy then fails internally or crashes (found by tests/fuzz).
    data = pickle.dumps({"smpl_poses": np.ones((2, 72))}, protocol=4)
    state_tail = b"J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t"  # elsize, alignment, flags = 0
    assert data.count(state_tail) == 1
    forged = data.replace(state_tail, state_tail.replace(b"K\x00", b"K\x3d"))
    poses = loads_arrays_pickle(forged)["smpl_poses"]
    assert poses.dtype == np.float64 and poses.sum() == 144.0


@pytest.mark.parametrize(
    "data",
    [
        np.array(["a", "b"]),
        np.array([{"x": 1}], dtype=object),
        np.zeros(3, dtype=[("a", "f4"), ("b", "i4")]),
    ],
    ids=["strings", "objects", "structured"],
)
def test_arrays_of_anything_but_numbers_are_refused(data):
    with pytest.raises(MotionFileError, match="not a plain-data pickle"):
        loads_arrays_pickle(pickle.dumps({"smpl_poses": data}))


def test_array_bytes_that_do_not_fill_the_shape_are_refused():
    data = pickle.dumps({"smpl_poses": np.zeros((2, 72))}, protocol=4)
    assert data.count(b"K\x02KH\x86") == 1  # the shape (2, 72)
    with pytest.raises(MotionFileError, match="do not fill"):
        loads_arrays_pickle(data.replace(b"K\x02KH\x86", b"K\x03KH\x86"))


def test_shared_references_are_resolved_once_not_expanded():
    """Lists that hold eight references each to the list below: a few hundred bytes that
    would expand to 8 ** 30 entries if every reference were copied."""
    nested: list = []
    for _ in range(30):
        nested = [nested] * 8
    data = pickle.dumps({"smpl_poses": nested}, protocol=2)
    assert len(data) < 1000
    loaded = loads_arrays_pickle(data, "bomb.pkl")["smpl_poses"]
    assert loaded[0] is loaded[7]  # shared, as in the file


def test_a_pickle_with_too_many_entries_is_refused():
    data = pickle.dumps({"smpl_poses": list(range(200_000))}, protocol=2)
    with pytest.raises(MotionFileError, match="entries"):
        loads_arrays_pickle(data, "long.pkl")
