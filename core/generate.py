"""The main job: a song file in, a beat-synchronised SMPL dance out."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from threadpoolctl import threadpool_limits

from core.analysis import DEFAULT_TRACKER, SongAnalysis, analyze_audio
from core.audio import SAMPLE_RATE, load_audio
from core.choreographer import DEFAULT_FPS, choreograph
from core.errors import ModelFileError, MotionBeatError
from core.library import MotionLibrary, default_library
from core.model.embedding import AudioEncoder, embed_audio
from core.model.numpy_runtime import default_audio_encoder
from core.motion import Motion
from core.motion_graph import Controls, choreograph_from_library


# One BLAS thread: more threads split matrix products' sums in another order, and the same song,
# seed and settings must give the same dance, to the bit, on any number of threads.
@threadpool_limits.wrap(limits=1, user_api="blas")
def generate_dances(
    song: str | os.PathLike,
    seeds: Sequence[int],
    fps: float = DEFAULT_FPS,
    choreographer: str = "v2",
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
    choreographer : "v2" (``core.motion_graph`` over ``library``, by default the embedded
        real dance cut from the CMU captures, matched to the song by its MotionBeat
        embedding) or "v1" (``core.choreographer``, procedural moves)
    progress : called with each stage's name and the share of the work done before it (0..1);
        it may raise to stop the work between stages
    tracker : beat tracker, "motionbeat" or "librosa" (``core.analysis.find_beats``)
    encoder : the music encoder, the shipped numpy one by default (``core.model.embedding``)
    Raises AudioLoadError, BeatTrackingError, ModelFileError if the model cannot be read, or
    MotionBeatError naming the library's tags if controls prefer or avoid a tag it lacks, or
    MotionFileError if the library was embedded by another model than the encoder.
    """
    report = progress or (lambda stage, done: None)
    report("decoding", 0.0)
    y = load_audio(song)
    report("finding beats", 0.1)
    analysis = analyze_audio(y, tracker)
    if choreographer == "v1":
        report("choreographing", 0.8)
        return analysis, [choreograph(analysis, fps=fps, seed=seed) for seed in seeds]
    report("listening", 0.6)
    encoder = encoder or default_audio_encoder()
    library = library or default_library()
    library.check_model(encoder.model_id)
    if encoder.config.sample_rate != SAMPLE_RATE:  # its tokens would be timed wrongly
        raise ModelFileError(
            f"the music encoder reads {encoder.config.sample_rate} Hz audio; songs are decoded "
            f"at {SAMPLE_RATE} Hz"
        )
    embedding = embed_audio(y, analysis.beat_track, encoder)
    del y  # the samples are the largest thing held; a long song's dance needs the room
    report("choreographing", 0.8)
    controls = controls or Controls()
    known = set().union(*library.tag_sets())
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
