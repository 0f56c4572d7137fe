"""Shared fixtures. Blender's user folder points at a temporary one before bpy is imported, so
no test reads or changes the user's Blender settings or extensions."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="motionbeat-blender-user-")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
# The shortest game track (51 s, 152 BPM): real music at the lowest test cost.
REAL_SONG = SHARED_DATA / "music" / "game" / "hedgewars__sdmusic.ogg"


def require_shared_data(path: Path = SHARED_DATA) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data sits beside the project, not in it")
    return path


@pytest.fixture(scope="session")
def real_song() -> Path:
    return require_shared_data(REAL_SONG)


@pytest.fixture(scope="session")
def demo_song(tmp_path_factory) -> Path:
    from core.audio.demo_song import write_demo_song

    return write_demo_song(tmp_path_factory.mktemp("songs") / "demo song.wav")


@pytest.fixture(scope="session")
def demo_dance(demo_song):
    """(SongAnalysis, Motion) of the demo song, seed 0, 30 fps."""
    from core.generate import generate_dance

    return generate_dance(demo_song, seed=0, fps=30)


def annotated_times(times) -> np.ndarray:
    """Times from a shared-data beats.json entry, which holds a list or a JSON string of one."""
    import json

    return np.asarray(json.loads(times) if isinstance(times, str) else times, dtype=float)


def write_tone(
    path: Path, seconds: float, sr: int = 22050, amplitude: float = 0.5, channels: int = 1, **kwargs
) -> Path:
    """A 440 Hz tone (or silence with amplitude 0) written with soundfile."""
    import soundfile

    t = np.arange(int(seconds * sr)) / sr
    y = amplitude * np.sin(2 * np.pi * 440 * t)
    soundfile.write(str(path), np.repeat(y[:, None], channels, axis=1), sr, **kwargs)
    return path


# Songs no dance can be made from, each with the message part a user should see.
BAD_SONGS = [
    pytest.param(lambda p: p.write_bytes(b""), "0 bytes", id="zero-length"),
    pytest.param(lambda p: p.write_bytes(b"\x00garbage" * 500), "not a readable", id="corrupt"),
    pytest.param(lambda p: write_tone(p, 5.0, amplitude=0.0), "silent", id="silence"),
    pytest.param(lambda p: write_tone(p, 1.0), "at least 2 s", id="one-second"),
]
