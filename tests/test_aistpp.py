"""AIST++ .pkl motion, read without running code."""

import pickle

import numpy as np
import pytest

from core.aistpp import load_aistpp_motion
from core.errors import MotionFileError


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
