"""Paired data from folders a user points at (AIST++ names, same-name music)."""

import pickle
import shutil

import numpy as np
import pytest

from core.errors import MotionFileError
from core.model.config import MotionBeatConfig
from training.encoder.pairs.files import file_pair, file_pair_sources
from training.encoder.windows import featurize


def aistpp_motion(path, seconds, fps=60):
    n = int(seconds * fps)
    rng = np.random.default_rng(len(path.name))
    poses = np.cumsum(rng.normal(0, 0.01, (n, 72)), axis=0)  # a smooth random walk of poses
    trans = np.column_stack([np.zeros(n), np.full(n, 90.0), np.zeros(n)])  # centimetres
    path.write_bytes(
        pickle.dumps({"smpl_poses": poses, "smpl_trans": trans, "smpl_scaling": np.array([1.0])})
    )


def test_aistpp_motion_pairs_with_its_music_id_and_becomes_windows(tmp_path, demo_song):
    motion_dir, music_dir = tmp_path / "motions", tmp_path / "music"
    motion_dir.mkdir()
    music_dir.mkdir()
    shutil.copy(demo_song, music_dir / "mBR0.wav")
    for take in range(1, 4):
        aistpp_motion(motion_dir / f"gBR_sBM_cAll_d04_mBR0_ch0{take}.pkl", 30.0)
    aistpp_motion(motion_dir / "no_music_here.pkl", 5.0)
    train, validation = file_pair_sources(motion_dir, music_dir)
    assert len(train) == 2 and len(validation) == 1
    assert all(music.name == "mBR0.wav" for _, music in train + validation)

    config = MotionBeatConfig()
    clip = file_pair(*train[0], config)
    assert clip.fps == 30.0 and clip.joints.shape[1:] == (24, 3)
    # The 25 s song is the shorter: motion and music are cut to it.
    assert len(clip.joints) / 30.0 == pytest.approx(len(clip.audio) / config.sample_rate, abs=0.05)
    assert len(featurize(clip, config, window_bars=2)) > 0


def test_folders_without_pairs_are_refused_clearly(tmp_path):
    (tmp_path / "a.pkl").write_bytes(b"")
    with pytest.raises(MotionFileError, match="has its music"):
        file_pair_sources(tmp_path, tmp_path)
