"""The main job: a song file in, a beat-synchronised SMPL dance out."""

from __future__ import annotations

import os

from core.analysis import SongAnalysis, analyze_song
from core.choreographer import DEFAULT_FPS, choreograph
from core.motion import Motion


def generate_dance(
    song: str | os.PathLike, seed: int = 0, fps: float = DEFAULT_FPS
) -> tuple[SongAnalysis, Motion]:
    """Analyse ``song`` and choreograph a dance for it.

    seed : the same song, seed and fps give the same dance
    fps : frames per second of the returned Motion (Blender passes the scene's)
    Raises AudioLoadError or BeatTrackingError.
    """
    analysis = analyze_song(song)
    return analysis, choreograph(analysis, fps=fps, seed=seed)
