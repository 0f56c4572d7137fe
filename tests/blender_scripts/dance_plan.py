"""The default dance of a song and seed as plain arrays, for comparing two environments.

Imports core only (no bpy, no tests package), so it runs in the project's Python and, with the
extension's own ``core``, in a Python that holds only bpy and its numpy.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.analysis import analyze_audio
from core.audio.decode import load_audio
from core.choreography.library import default_library
from core.choreography.motion_graph import Controls, plan_segments
from core.generate import generate_dance
from core.model.embedding import embed_audio


def dance_plan(song: str, seed: int) -> dict[str, np.ndarray]:
    """segments (n_bars,) chosen by the library choreographer, the dance's poses (T, 24, 3)
    axis-angle and trans (T, 3) metres at 30 fps, and numpy's version."""
    y = load_audio(song)
    analysis = analyze_audio(y)
    segments, _ = plan_segments(
        analysis,
        embed_audio(y, analysis.beat_track),
        default_library(),
        replace(Controls(), seed=seed),
    )
    _, motion = generate_dance(song, seed=seed, fps=30)
    return {
        "segments": np.array(segments),
        "poses": motion.poses,
        "trans": motion.trans,
        "numpy": np.array(np.__version__),
    }
