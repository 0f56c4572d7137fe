import numpy as np
import pytest

from core.body.motion import Motion
from core.errors import MotionFileError


def random_motion(n=20, fps=30.0, seed=0):
    rng = np.random.default_rng(seed)
    return Motion(
        poses=rng.normal(0, 0.3, (n, 24, 3)),
        trans=rng.normal(0, 1, (n, 3)),
        fps=fps,
        contacts=rng.integers(0, 2, (n, 4)),
        beats=[0.5, 1.0],
        downbeats=[0.5],
    )


def test_npz_round_trip_keeps_every_array(tmp_path):
    motion = random_motion()
    loaded = Motion.load_npz(motion.save_npz(tmp_path / "dance.npz"))
    for name in ("poses", "trans", "contacts", "beats", "downbeats"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(motion, name))
    assert loaded.fps == motion.fps


def test_npz_uses_amass_keys(tmp_path):
    path = random_motion(n=7).save_npz(tmp_path / "dance.npz")
    with np.load(path) as data:
        assert data["poses"].shape == (7, 72)
        assert data["trans"].shape == (7, 3)
        assert float(data["mocap_framerate"]) == 30.0
        assert data["contacts"].shape == (7, 4)


def test_amass_smplh_file_without_contacts_loads(tmp_path):
    np.savez(
        tmp_path / "amass.npz",
        poses=np.zeros((5, 156)),
        trans=np.zeros((5, 3)),
        mocap_framerate=120.0,
        betas=np.zeros(16),
    )
    motion = Motion.load_npz(tmp_path / "amass.npz")
    assert motion.poses.shape == (5, 24, 3) and motion.fps == 120.0
    assert not motion.contacts.any()


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"poses": np.zeros((5, 72)), "trans": np.zeros((4, 3)), "mocap_framerate": 30.0}, "shape"),
        ({"poses": np.zeros((5, 10)), "trans": np.zeros((5, 3)), "mocap_framerate": 30.0}, "shape"),
        (
            {"poses": np.full((5, 72), np.nan), "trans": np.zeros((5, 3)), "mocap_framerate": 30.0},
            "NaN",
        ),
        ({"poses": np.zeros((5, 72)), "trans": np.zeros((5, 3))}, "missing keys"),
        (
            {
                "poses": np.array([{"a": 1}], dtype=object),
                "trans": np.zeros((1, 3)),
                "mocap_framerate": 30.0,
            },
            "not a readable",
        ),
    ],
    ids=["trans-length", "poses-width", "nan", "no-framerate", "object-array"],
)
def test_malformed_npz_raises_motion_file_error(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(MotionFileError, match=message):
        Motion.load_npz(tmp_path / "bad.npz")


def test_not_an_npz_raises(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    with pytest.raises(MotionFileError):
        Motion.load_npz(tmp_path / "bad.npz")
