"""Building motion libraries: cutting motion into bars and embedding each bar with the
MotionBeat motion encoder (torch).

Two kinds are built the same way: the procedural library (every move of ``core.moves`` at three
amplitudes, the embedded default) and libraries of captured motion (``motionbeat library build``
over BVH, AIST++ ``.pkl`` or ``.npz`` files). ``core.library`` holds and reads the result.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from core.choreographer import render_bar
from core.contacts import stand_on_floor
from core.errors import MotionFileError
from core.library import FPS, MotionLibrary, pelvis_heading
from core.metrics import kinetic_velocity
from core.model.network import MotionBeat, bar_embeddings
from core.model.tokens import motion_tokens
from core.motion import Motion
from core.moves import BEATS_PER_BAR, LIBRARY
from core.time_warp import motion_beats

PROCEDURAL_AMPLITUDES = (0.7, 1.0, 1.3)  # calmer, as written, bigger
PROCEDURAL_BEAT_SECONDS = 0.5  # 120 BPM; segments are warped onto the song's beats anyway


def _at_origin(motion: Motion) -> Motion:
    """The motion turned and moved so that frame 0 stands at x = z = 0 facing +Z."""
    turn = Rotation.from_euler("y", -pelvis_heading(motion.poses[:1])[0])
    poses = motion.poses.copy()
    poses[:, 0] = (turn * Rotation.from_rotvec(motion.poses[:, 0])).as_rotvec()
    trans = turn.apply(motion.trans - motion.trans[0] * [1.0, 0.0, 1.0])
    return Motion(poses, trans, motion.fps, motion.contacts, motion.beats)


def _embed(segments: list[Motion], joints: list[np.ndarray], model: MotionBeat) -> np.ndarray:
    """Bar embeddings of one-bar segments (with their joint positions) from the motion encoder:
    (S, E) float32."""
    config = model.config
    out = []
    for segment, segment_joints in zip(segments, joints, strict=True):
        tokens = motion_tokens(
            segment_joints, segment.contacts, segment.fps, segment.beats, 0, config
        )
        features = torch.from_numpy(tokens.features)[None]
        pulse = torch.from_numpy(tokens.contact_pulse)[None]
        phase = torch.from_numpy(tokens.bar_phase)[None]
        padding = torch.zeros(phase.shape, dtype=torch.bool)
        with torch.no_grad():
            encoded = model.eval().encode_motion(features, pulse, phase, padding)
        out.append(bar_embeddings(encoded.beats[0], phase[0])[0].numpy())
    return np.stack(out).astype(np.float32)


def _library(
    segments: list[Motion], names: list[str], tags: list[str], model: MotionBeat
) -> MotionLibrary:
    placed = [_at_origin(s) for s in segments]
    joints = [s.joint_positions() for s in placed]
    return MotionLibrary(
        poses=np.concatenate([s.poses for s in placed]),
        trans=np.concatenate([s.trans for s in placed]),
        contacts=np.concatenate([s.contacts for s in placed]),
        starts=np.cumsum([0] + [s.n_frames for s in placed]).astype(np.int64),
        beats=np.stack([s.beats for s in placed]),
        embeddings=_embed(placed, joints, model),
        energy=np.array([kinetic_velocity(j).mean() for j in joints], dtype=np.float32),
        names=np.array(names),
        tags=np.array(tags),
    )


def procedural_library(model: MotionBeat) -> MotionLibrary:
    """Every move of ``core.moves`` at each of ``PROCEDURAL_AMPLITUDES``: 66 segments."""
    segments, names, tags = [], [], []
    for move in LIBRARY:
        level = "calm" if move.energy < 0.4 else "lively" if move.energy > 0.7 else "medium"
        for amplitude in PROCEDURAL_AMPLITUDES:
            segments.append(render_bar(move, amplitude, PROCEDURAL_BEAT_SECONDS, FPS))
            names.append(f"{move.name}@{amplitude:g}")
            tags.append(f"procedural,{move.name},{level}")
    return _library(segments, names, tags, model)


def cut_bars(motion: Motion) -> list[Motion]:
    """One-bar segments of a motion at its beats (``core.time_warp.motion_beats``), bar lines
    every four beats from its first beat; each stood on the floor, at ``FPS``."""
    motion = motion.resampled(FPS)
    joints = motion.joint_positions()
    beats = motion_beats(motion, joints)
    segments = []
    for first in range(0, len(beats) - BEATS_PER_BAR, BEATS_PER_BAR):
        bar = beats[first : first + BEATS_PER_BAR + 1]
        a, b = int(round(bar[0] * FPS)), int(round(bar[-1] * FPS)) + 1
        trans, _ = stand_on_floor(motion.trans[a:b], joints[a:b])
        bar_beats = bar - a / FPS  # seconds from the segment's first frame
        segments.append(Motion(motion.poses[a:b], trans, FPS, motion.contacts[a:b], bar_beats))
    return segments


def capture_library(motions: list[tuple[str, Motion, str]], model: MotionBeat) -> MotionLibrary:
    """A library of captured motion: (name, motion, comma-separated tags) per source.

    Raises MotionFileError if no source holds a whole bar.
    """
    segments, names, tags = [], [], []
    for name, motion, tag in motions:
        for i, segment in enumerate(cut_bars(motion)):
            segments.append(segment)
            names.append(f"{name}#{i}")
            tags.append(tag)
    if not segments:
        raise MotionFileError("no source motion holds a whole bar of beats")
    return _library(segments, names, tags, model)
