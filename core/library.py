"""The motion library: bar-long dance segments, each with its MotionBeat embedding.

A segment is one bar (four beats) of SMPL motion cut at the motion's beats, stored with its
beat times, foot contacts, energy (mean kinetic velocity), style tags and the motion encoder's
bar embedding, so that the choreographer can match it to a bar of music (DESIGN.md §5, after
ChoreoMaster). Each segment starts at the origin facing +Z; the choreographer places it.

Two kinds are built the same way: the procedural library (every move of ``core.moves`` at three
amplitudes, the embedded default) and libraries of captured motion (``motionbeat library build``
over BVH, AIST++ ``.pkl`` or ``.npz`` files). A library is one ``.npz`` of plain arrays, read
with ``allow_pickle=False``.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from core.choreographer import render_bar
from core.contacts import stand_on_floor
from core.errors import MotionFileError
from core.metrics import kinetic_velocity
from core.model.network import MotionBeat, bar_embeddings
from core.model.tokens import motion_tokens
from core.motion import Motion
from core.moves import BEATS_PER_BAR, LIBRARY
from core.time_warp import motion_beats

FPS = 30.0
# The embedded default: ``procedural_library(load_model(DEFAULT_MODEL))``, built by
# ``motionbeat library build --procedural --out core/model/weights/procedural_library.npz``.
DEFAULT_LIBRARY = Path(__file__).resolve().parent / "model" / "weights" / "procedural_library.npz"
PROCEDURAL_AMPLITUDES = (0.7, 1.0, 1.3)  # calmer, as written, bigger
PROCEDURAL_BEAT_SECONDS = 0.5  # 120 BPM; segments are warped onto the song's beats anyway


@dataclass
class MotionLibrary:
    """Segments stacked: S segments, F frames in all, at ``fps``.

    poses (F, 24, 3) float32 axis-angle; trans (F, 3) float32 metres, each segment starting at
    x = z = 0 facing +Z; contacts (F, 4) float32; starts (S + 1,) int64 frame offsets;
    beats (S, 5) float64 seconds from the segment's start (its four beats' boundaries);
    embeddings (S, E) float32 unit bar embeddings; energy (S,) float32 m/frame;
    names (S,) str; tags (S,) str, comma-separated
    """

    poses: np.ndarray
    trans: np.ndarray
    contacts: np.ndarray
    starts: np.ndarray
    beats: np.ndarray
    embeddings: np.ndarray
    energy: np.ndarray
    names: np.ndarray
    tags: np.ndarray
    fps: float = FPS

    def __len__(self) -> int:
        return len(self.names)

    def segment(self, index: int) -> Motion:
        a, b = self.starts[index], self.starts[index + 1]
        return Motion(
            self.poses[a:b], self.trans[a:b], self.fps, self.contacts[a:b], self.beats[index]
        )

    def tag_sets(self) -> list[set[str]]:
        return [set(t.split(",")) if t else set() for t in self.tags]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the library atomically as one ``.npz``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with open(partial, "wb") as fh:
            np.savez_compressed(
                fh, **{f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}
            )
        os.replace(partial, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> MotionLibrary:
        """Read a library. Raises MotionFileError if it is not one."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                values = {f.name: data[f.name] for f in fields(cls)}
        except (OSError, KeyError, ValueError) as exc:
            raise MotionFileError(f"{path.name}: not a motion library ({exc})") from exc
        values["fps"] = float(values["fps"])
        library = cls(**values)
        if len(library.starts) != len(library) + 1 or library.starts[-1] != len(library.poses):
            raise MotionFileError(f"{path.name}: segment offsets do not match its frames")
        return library

    @classmethod
    def concatenate(cls, parts: list[MotionLibrary]) -> MotionLibrary:
        offsets = np.cumsum([0] + [len(p.poses) for p in parts])
        return cls(
            poses=np.concatenate([p.poses for p in parts]),
            trans=np.concatenate([p.trans for p in parts]),
            contacts=np.concatenate([p.contacts for p in parts]),
            starts=np.concatenate(
                [[0]] + [p.starts[1:] + offset for p, offset in zip(parts, offsets, strict=False)]
            ).astype(np.int64),
            beats=np.concatenate([p.beats for p in parts]),
            embeddings=np.concatenate([p.embeddings for p in parts]),
            energy=np.concatenate([p.energy for p in parts]),
            names=np.concatenate([p.names for p in parts]),
            tags=np.concatenate([p.tags for p in parts]),
        )


def facing_yaw(rotations: Rotation) -> np.ndarray:
    """Yaw (radians about +Y) of where rotations turn the body's forward (+Z): ``(T,)``."""
    forward = rotations.apply([0.0, 0.0, 1.0]).reshape(-1, 3)
    return np.arctan2(forward[:, 0], forward[:, 2])


def pelvis_heading(poses: np.ndarray) -> np.ndarray:
    """Yaw of the pelvis of SMPL poses (T, 24, 3): ``(T,)`` radians."""
    return facing_yaw(Rotation.from_rotvec(poses[:, 0]))


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


@functools.cache
def default_library() -> MotionLibrary:
    """The embedded procedural library, read once per process."""
    return MotionLibrary.load(DEFAULT_LIBRARY)
