"""Building motion libraries: cutting takes at their own beats and embedding each segment with
the MotionBeat motion encoder (torch).

Two kinds are built the same way: libraries of captured motion (``motionbeat library build``
over BVH, AIST++ ``.pkl`` or ``.npz`` files; ``--cmu`` builds the shipped default from the CMU
captures) and the procedural library (every move of ``core.choreography.moves`` at three
amplitudes). ``core.choreography.library`` holds and reads the result.

A capture is never squeezed onto a fixed number of music beats: it is cut from each of its
stops (kinematic beats) into segments about 2, 4 and 8 of its own beats long (its tempo from
``core.choreography.time_warp.motion_beats``). Each such segment is one bar of music at a metrical
level (the dancer's beat on two music beats, on one, or on half of one), and the choreographer takes
the segments whose natural length is nearest the bar's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from core.body.contacts import stand_on_floor
from core.body.motion import Motion
from core.body.skeleton import mirror_motion
from core.choreography.library import FPS, MotionLibrary
from core.choreography.moves import MOVE_BEATS, PROCEDURAL_MOVES
from core.choreography.procedural import render_bar
from core.choreography.time_warp import motion_beats
from core.errors import MotionFileError
from core.metrics import kinematic_beats, kinetic_velocity
from core.model.network import MotionBeat
from core.model.numpy_encoder import audio_arrays, model_id
from core.model.tokens import motion_tokens

PROCEDURAL_AMPLITUDES = (0.7, 1.0, 1.3)  # calmer, as written, bigger
PROCEDURAL_BEAT_SECONDS = 0.5  # 120 BPM; procedural moves are warped onto any tempo
# Dancer's beats per bar of music: two (each on two music beats), four, eight (on half beats).
LEVELS = (2, 4, 8)
STOP_REACH = 0.5  # of a beat: how far a segment's end stop may sit from its level's length
EMBED_BATCH = 256
# The CMU captures of ../shared/data/motion that the default library is built from, with their
# tags; 05_01 is a walk, not a dance. CMU's terms allow data derived from them in a product.
CMU_TAKES = {
    "cmu_salsa_60_61": ("*.bvh", "salsa"),
    "cmu_subject05_bvh/05": ("05_*.bvh", "modern"),
    "cmu_55": ("*.bvh", "whirl"),
}
CMU_WALKS = ("05_01",)  # a walk, not a dance
# Whole takes kept out of the library: the real capture that benchmarks/dance_quality.py
# compares dances with (both partners of salsa take 07, and one modern-dance take).
CMU_HELD_OUT = ("60_07", "61_07", "05_10")


def embed_bars(
    joints: np.ndarray,
    contacts: np.ndarray,
    fps: float,
    spans: np.ndarray,
    beats: np.ndarray,
    model: MotionBeat,
) -> np.ndarray:
    """Bar embeddings from the motion encoder of the frame spans (S, 2) of ``joints`` (F, 24,
    3) metres and ``contacts`` (F, 4) at ``fps``, each on its bar's beats ``beats`` (S, 5)
    seconds from its first frame: (S, E) float32, unit (the mean of its beat embeddings)."""
    config = model.config
    out = []
    for chunk in range(0, len(spans), EMBED_BATCH):
        features, pulses, phases = [], [], []
        for s in range(chunk, min(chunk + EMBED_BATCH, len(spans))):
            a, b = spans[s]
            tokens = motion_tokens(joints[a:b], contacts[a:b], fps, beats[s], 0, config)
            features.append(tokens.features)
            pulses.append(tokens.contact_pulse)
            phases.append(tokens.bar_phase)
        phase = torch.from_numpy(np.stack(phases))
        with torch.no_grad():
            encoded = model.eval().encode_motion(
                torch.from_numpy(np.stack(features)),
                torch.from_numpy(np.stack(pulses)),
                phase,
                torch.zeros(phase.shape, dtype=torch.bool),
            )
        bars = torch.nn.functional.normalize(encoded.beats.mean(dim=1), dim=-1)
        out.append(bars.numpy())
    return np.concatenate(out).astype(np.float32)


def _library(
    takes: list[Motion],
    segments: list[tuple[int, int, int, np.ndarray]],
    names: list[str],
    tags: list[str],
    model: MotionBeat,
    mirror: bool,
) -> MotionLibrary:
    """A library of ``takes`` (at ``FPS``) and segments (take, first frame, stop frame, beats
    (5,) seconds from the first frame), each ``mirrorable`` if ``mirror``."""
    offsets = np.cumsum([0] + [t.n_frames for t in takes[:-1]])
    joints = np.concatenate([t.joint_positions() for t in takes])
    spans = np.array([[offsets[t] + a, offsets[t] + b] for t, a, b, _ in segments], np.int64)
    width = model.config.embed_dim
    library = MotionLibrary(
        poses=np.concatenate([t.poses for t in takes]),
        trans=np.concatenate([t.trans for t in takes]),
        contacts=np.concatenate([t.contacts for t in takes]),
        spans=spans,
        beats=np.stack([beats for *_, beats in segments]),
        embeddings=np.zeros((len(segments), width), np.float32),
        energy=np.array([kinetic_velocity(joints[a:b]).mean() for a, b in spans], np.float32),
        names=np.array(names),
        tags=np.array(tags),
        mirror_embeddings=np.zeros((len(segments), width), np.float32),
        mirrorable=np.full(len(segments), mirror),
        stops=np.zeros(len(joints), dtype=bool),
        model_id=model_id(model.config, audio_arrays(model.state_dict())),
        fps=FPS,
    )
    for a, b in zip(offsets, [*offsets[1:], len(joints)], strict=True):
        library.stops[a + kinematic_beats(joints[a:b])] = True
    library.embeddings = embed_bars(
        joints, library.contacts, FPS, library.spans, library.beats, model
    )
    if mirror:
        poses, trans, contacts = mirror_motion(library.poses, library.trans, library.contacts)
        twin_joints = np.concatenate(
            [Motion(poses[a:b], trans[a:b], FPS, contacts[a:b]).joint_positions()
             for a, b in zip(offsets, [*offsets[1:], len(poses)], strict=True)]
        )  # fmt: skip
        library.mirror_embeddings = embed_bars(
            twin_joints, contacts, FPS, library.spans, library.beats, model
        )
    return library


def procedural_library(model: MotionBeat) -> MotionLibrary:
    """Every move of ``core.choreography.moves`` at each of ``PROCEDURAL_AMPLITUDES``: 66 one-bar
    takes."""
    takes, segments, names, tags = [], [], [], []
    for move in PROCEDURAL_MOVES:
        level = "calm" if move.energy < 0.4 else "lively" if move.energy > 0.7 else "medium"
        for amplitude in PROCEDURAL_AMPLITUDES:
            bar = render_bar(move, amplitude, PROCEDURAL_BEAT_SECONDS, FPS)
            segments.append((len(takes), 0, bar.n_frames, bar.beats))
            takes.append(bar)
            names.append(f"{move.name}@{amplitude:g}")
            tags.append(f"procedural,{move.name},{level}")
    # The moves come in mirror pairs already (a side step left and one right).
    return _library(takes, segments, names, tags, model, mirror=False)


def cut_take(motion: Motion) -> tuple[Motion, list[tuple[int, int, np.ndarray]]]:
    """A take at ``FPS`` stood on the floor, and its segments.

    Segments run from one of the take's kinematic beats to the one nearest 2, 4 or 8 of its
    beats (``LEVELS``, ``motion_beats``' period) later, within ``STOP_REACH`` of a beat, so that
    every bar line of the dance falls on a stop of the dancer, as downbeats are danced. Each is
    (first frame, stop frame, its bar's five beat boundaries in seconds from the first frame,
    evenly spaced: the choreographer anchors the stops inside on the music's beats).
    """
    motion = motion.resampled(FPS)
    joints = motion.joint_positions()
    trans, joints = stand_on_floor(motion.trans, joints)
    take = Motion(motion.poses, trans, FPS, motion.contacts)
    grid = motion_beats(take, joints)
    if len(grid) < 2:
        return take, []
    period = float(np.median(np.diff(grid)))
    stops = kinematic_beats(joints)
    segments = []
    for level in LEVELS:
        length = level * period * FPS
        for a in stops.tolist():
            b = int(stops[np.argmin(np.abs(stops - (a + length)))])
            if b > a + 1 and abs(b - a - length) <= STOP_REACH * period * FPS:
                segments.append((a, b + 1, np.linspace(0.0, (b - a) / FPS, MOVE_BEATS + 1)))
    return take, segments


def capture_library(
    motions: list[tuple[str, Motion, str]], model: MotionBeat, mirror: bool = True
) -> MotionLibrary:
    """A library of captured motion: (name, motion, comma-separated tags) per take, each
    segment ``mirrorable`` unless ``mirror`` is False (``MotionLibrary.load`` adds the mirror
    images, tagged "mirrored").

    Raises MotionFileError if no take holds two beats.
    """
    takes, segments, names, tags = [], [], [], []
    for name, motion, tag in motions:
        take, cuts = cut_take(motion)
        for i, (a, b, beats) in enumerate(cuts):
            segments.append((len(takes), a, b, beats))
            names.append(f"{name}#{i}")
            tags.append(tag)
        takes.append(take)
    if not segments:
        raise MotionFileError("no source motion holds two beats")
    return _library(takes, segments, names, tags, model, mirror)


def cmu_takes(motion_root: str | Path, held_out: bool = False) -> list[tuple[str, Path, str]]:
    """(name, BVH path, tag) of the CMU captures the default library is built from, or with
    ``held_out`` of those kept out of it (``CMU_HELD_OUT``).

    Raises MotionFileError if a folder of ``CMU_TAKES`` is missing.
    """
    root = Path(motion_root)
    takes = []
    for folder, (pattern, tag) in CMU_TAKES.items():
        if not (root / folder).is_dir():
            raise MotionFileError(f"{root / folder}: missing (the CMU captures of shared data)")
        for path in sorted((root / folder).glob(pattern)):
            name = path.stem.removesuffix("_scaled")
            if name not in CMU_WALKS and (name in CMU_HELD_OUT) == held_out:
                takes.append((name, path, tag))
    return takes


def cmu_library(motion_root: str | Path, model: MotionBeat) -> MotionLibrary:
    """The shipped default library: every take of ``cmu_takes`` and its mirror image."""
    from core.motion_files.load import load_bvh_motion

    motions = [
        (name, load_bvh_motion(path, FPS), tag) for name, path, tag in cmu_takes(motion_root)
    ]
    return capture_library(motions, model)
