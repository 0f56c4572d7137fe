"""The main job: a song file in, a beat-synchronised SMPL dance out."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from threadpoolctl import threadpool_limits

from core.analysis import DEFAULT_TRACKER, SongAnalysis, analyze_audio
from core.audio.decode import load_audio
from core.body.motion import DEFAULT_FPS, Motion
from core.choreography.library import MotionLibrary, default_library
from core.choreography.motion_graph import Controls, choreograph_from_library
from core.choreography.procedural import choreograph
from core.errors import MotionBeatError
from core.model.embedding import AudioEncoder, embed_audio
from core.model.numpy_encoder import default_audio_encoder

CHOREOGRAPHERS = ("library", "procedural")
CHOREOGRAPHER_ALIASES = {"v2": "library", "v1": "procedural"}  # their names before 0.2


# One BLAS thread: more threads split matrix products' sums in another order, and the same song,
# seed and settings must give the same dance, to the bit, on any number of threads.
@threadpool_limits.wrap(limits=1, user_api="blas")
def generate_dances(
    song: str | os.PathLike,
    seeds: Sequence[int],
    fps: float = DEFAULT_FPS,
    choreographer: str = "library",
    library: MotionLibrary | None = None,
    controls: Controls | None = None,
    progress: Callable[[str, float], None] | None = None,
    tracker: str = DEFAULT_TRACKER,
    encoder: AudioEncoder | None = None,
) -> tuple[SongAnalysis, list[Motion]]:
    """Analyse ``song`` once and choreograph one dance for each of ``seeds``.

    seeds : the same song, seed, fps and settings give the same dance (overrides controls.seed),
        whichever other seeds are asked for with it
    fps : frames per second of the returned Motions (Blender passes the scene's)
    choreographer : "library" (``core.choreography.motion_graph`` over ``library``, by default
        the embedded real dance cut from the CMU captures, matched to the song by its
        MotionBeat embedding) or "procedural" (``core.choreography.procedural``, procedural
        moves); "v2" and "v1", their earlier names, still work
    progress : called with each stage's name and the share of the work done before it (0..1);
        it may raise to stop the work between stages
    tracker : beat tracker, "motionbeat" or "librosa" (``core.analysis.find_beats``)
    encoder : the music encoder, the shipped numpy one by default (``core.model.embedding``)
    Raises MotionBeatError for an unknown choreographer, AudioLoadError, BeatTrackingError,
    ModelFileError if the model cannot be read, or MotionBeatError naming the library's tags if
    controls prefer or avoid a tag it lacks, or MotionFileError if the library was embedded by
    another model than the encoder.
    """
    choreographer = CHOREOGRAPHER_ALIASES.get(choreographer, choreographer)
    if choreographer not in CHOREOGRAPHERS:
        raise MotionBeatError(
            f"unknown choreographer {choreographer!r}; choose {' or '.join(CHOREOGRAPHERS)}"
        )
    report = progress or (lambda stage, done: None)
    report("decoding", 0.0)
    y = load_audio(song)
    report("finding beats", 0.1)
    analysis = analyze_audio(y, tracker)
    if choreographer == "procedural":
        report("choreographing", 0.8)
        return analysis, [choreograph(analysis, fps=fps, seed=seed) for seed in seeds]
    report("listening", 0.6)
    encoder = encoder or default_audio_encoder()
    library = library or default_library()
    library.check_model(encoder.model_id)
    embedding = embed_audio(y, analysis.beat_track, encoder)
    del y  # the samples are the largest thing held; a long song's dance needs the room
    report("choreographing", 0.8)
    controls = controls or Controls()
    known = set().union(*library.tag_sets)
    unknown = sorted(set(controls.prefer + controls.avoid) - known)
    if unknown:
        raise MotionBeatError(
            f"unknown style tag {', '.join(map(repr, unknown))}; the library's tags are "
            + ", ".join(sorted(known))
        )
    motions = [
        choreograph_from_library(analysis, embedding, library, fps, replace(controls, seed=seed))
        for seed in seeds
    ]
    return analysis, motions


def generate_dance(
    song: str | os.PathLike, seed: int = 0, **options: Any
) -> tuple[SongAnalysis, Motion]:
    """The dance of one seed: ``generate_dances(song, [seed], **options)``, which see."""
    analysis, (motion,) = generate_dances(song, [seed], **options)
    return analysis, motion
