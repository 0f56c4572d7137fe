"""The motion library: dance segments cut from takes, each with its MotionBeat embedding.

A library holds whole takes of SMPL motion (each stood on the floor) and segments that are
frame spans of them, so segments may overlap: a capture is cut from each of its stops into
segments about 2, 4 and 8 of its own beats long (``core.choreography.library_build.cut_take``), and
each segment is one bar of music at the metrical level that fits the song's tempo (the capture keeps
its natural speed; DESIGN.md §5). Every segment stores the times of its bar's five beat boundaries,
foot contacts (the take's), energy (mean kinetic velocity), style tags and the motion encoder's bar
embedding, so that the choreographer can match it to a bar of music (after ChoreoMaster). The
choreographer places each segment where the dance stands and turns it to face where the dance faces.

Libraries are built by ``core.choreography.library_build`` (with torch's motion encoder); this
module reads and holds them with numpy alone, as Blender's Python does. A library is one ``.npz`` of
plain arrays, read with ``allow_pickle=False`` and checked whole before use.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from core.atomic import atomic_write
from core.body.skeleton import N_JOINTS, forward_kinematics, mirror_motion, pelvis_heading
from core.errors import MotionFileError
from core.npz import read_npz
from core.weights import WEIGHTS

FPS = 30.0
# The embedded default, real dance: the CMU captures in ../shared/data/motion, built by
# motionbeat library build --cmu ../shared/data/motion --out core/weights/cmu_library.npz
DEFAULT_LIBRARY = WEIGHTS / "cmu_library.npz"
# The procedural moves at three amplitudes (``--library procedural``), built by
# motionbeat library build --procedural --out core/weights/procedural_library.npz
PROCEDURAL_LIBRARY = WEIGHTS / "procedural_library.npz"
BUILT_IN = {"cmu": DEFAULT_LIBRARY, "procedural": PROCEDURAL_LIBRARY}
MAX_LIBRARY_BYTES = 2**30  # the shipped library inflates to 12 MB; an hour of takes to 0.6 GB
MAX_SEGMENT_SECONDS = 30.0  # a bar of 8 slow beats lasts under 10 s; past this a file is wrong


@dataclass
class MotionLibrary:
    """Takes stacked: F frames in all, at ``fps``, and S segments that are spans of them.

    poses (F, 24, 3) float32 axis-angle radians; trans (F, 3) float32 metres, Y-up, feet on
    the floor; contacts (F, 4) float32 in {0, 1}; spans (S, 2) int64 first and stop frame of
    each segment; beats (S, 5) float64 seconds from the segment's first frame, its bar's beat
    boundaries (0 first, the segment's last frame at most last); embeddings (S, E) float32 unit
    bar embeddings; energy (S,) float32 m/frame; names (S,) str; tags (S,) str, comma-separated;
    mirror_embeddings (S, E) float32, the bar embedding of each segment's mirror image where
    ``mirrorable`` (S,) bool (zeros elsewhere): files hold the takes once, and ``load`` adds
    the mirror images (``with_mirrors``), which double the material at no cost on disk;
    stops (F,) bool, the takes' kinematic beats (Bailando's, ``core.metrics.kinematic_beats``);
    model_id : the MotionBeat model whose motion encoder embedded it
    (``core.model.numpy_encoder.model_id``): only that model's music embeddings compare with it
    """

    poses: np.ndarray
    trans: np.ndarray
    contacts: np.ndarray
    spans: np.ndarray
    beats: np.ndarray
    embeddings: np.ndarray
    energy: np.ndarray
    names: np.ndarray
    tags: np.ndarray
    mirror_embeddings: np.ndarray
    mirrorable: np.ndarray
    stops: np.ndarray
    model_id: str = ""
    fps: float = FPS

    def __len__(self) -> int:
        return len(self.names)

    @functools.cached_property
    def tag_sets(self) -> list[set[str]]:
        """(S,) each segment's style tags."""
        return [set(t.split(",")) if t else set() for t in self.tags]

    def in_bars_of(self, beats_per_bar: int) -> MotionLibrary:
        """The library for music of ``beats_per_bar`` beats a bar (the song's meter): each
        segment cut at its bar's beat ``beats_per_bar``, so a 3/4 song dances in bars of three.
        Segments are bars of four (``beats`` (S, 5)): a meter of four or more gets them whole.
        The embeddings stay those of the whole segment. The same view (with its cached
        transitions) is returned each time."""
        if beats_per_bar >= self.beats.shape[1] - 1:
            return self
        views = self.__dict__.setdefault("_views", {})
        if beats_per_bar not in views:
            ends = np.floor(self.beats[:, beats_per_bar] * self.fps + 0.5).astype(np.int64)
            stops = np.minimum(self.spans[:, 0] + ends + 1, self.spans[:, 1])
            views[beats_per_bar] = replace(
                self,
                spans=np.stack([self.spans[:, 0], stops], axis=1),
                beats=self.beats[:, : beats_per_bar + 1],
            )
        return views[beats_per_bar]

    @functools.cached_property
    def follows(self) -> np.ndarray:
        """(S,) the segment that continues each segment in its take at the same level (starts
        on its last frame and lasts within a quarter as long; the nearest in length), or -1."""
        out = np.full(len(self), -1, dtype=np.int64)
        by_first: dict[int, list[int]] = {}
        for s, first in enumerate(self.spans[:, 0].tolist()):
            by_first.setdefault(first, []).append(s)
        lengths = self.beats[:, -1]
        for s, last in enumerate((self.spans[:, 1] - 1).tolist()):
            same = [
                c
                for c in by_first.get(last, [])
                if abs(lengths[c] - lengths[s]) < 0.25 * lengths[s]
            ]
            if same:
                out[s] = min(same, key=lambda c: (abs(lengths[c] - lengths[s]), c))
        return out

    @functools.cached_property
    def kinematic_beats(self) -> np.ndarray:
        """Frames (k,) int of the takes' kinematic beats, increasing."""
        return np.flatnonzero(self.stops)

    @functools.cached_property
    def stops_per_segment(self) -> np.ndarray:
        """(S,) how many kinematic beats each segment holds inside it."""
        counts = np.r_[0, np.cumsum(self.stops)]
        return counts[self.spans[:, 1] - 1] - counts[self.spans[:, 0] + 1]

    @functools.cached_property
    def placement(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each segment takes the dancer, in its own start frame: the floor displacement
        (S, 2) metres (x, z after turning the first frame to face +Z) and the turn (S,)
        radians about +Y from its first to its last frame."""
        first, last = self.spans[:, 0], self.spans[:, 1] - 1
        heading_first = pelvis_heading(self.poses[first])
        heading_last = pelvis_heading(self.poses[last])
        step = (self.trans[last] - self.trans[first]).astype(np.float64)
        cos, sin = np.cos(heading_first), np.sin(heading_first)
        # Undo the first frame's heading: a yaw of h turns +Z towards +X by h.
        x = cos * step[:, 0] - sin * step[:, 2]
        z = sin * step[:, 0] + cos * step[:, 2]
        turn = np.angle(np.exp(1j * (heading_last - heading_first)))
        return np.stack([x, z], axis=1), turn

    def check_model(self, encoder_id: str, name: str = "the motion library") -> None:
        """Raise MotionFileError unless this library was embedded by the model ``encoder_id``
        names (``AudioEncoder.model_id``): two models' embedding spaces are unrelated."""
        if self.model_id != encoder_id:
            raise MotionFileError(
                f"{name} was embedded by another MotionBeat model ({self.model_id or 'unknown'}) "
                f"than the music encoder ({encoder_id}); rebuild it with "
                "'motionbeat library build --model CHECKPOINT' of that encoder's checkpoint"
            )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the library atomically as one ``.npz``, poses and embeddings as float16 (poses
        1e-3 rad at most off, a twentieth of a degree; cosines 1e-3: they are most of the file).
        """
        arrays = {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}
        for name in ("poses", "embeddings", "mirror_embeddings"):
            arrays[name] = arrays[name].astype(np.float16)
        with atomic_write(path) as fh:
            np.savez_compressed(fh, **arrays)
        return Path(path)

    def with_mirrors(self) -> MotionLibrary:
        """The library with the mirror image (``core.body.skeleton.mirror_motion``) of every
        ``mirrorable`` segment added, tagged "mirrored"; nothing left mirrorable."""
        if not self.mirrorable.any():
            return self
        n = len(self.poses)
        twin = np.flatnonzero(self.mirrorable)
        poses, trans, contacts = mirror_motion(self.poses, self.trans, self.contacts)
        tags = [f"{t},mirrored" if t else "mirrored" for t in self.tags[twin]]
        return MotionLibrary(
            poses=np.concatenate([self.poses, poses]),
            trans=np.concatenate([self.trans, trans]),
            contacts=np.concatenate([self.contacts, contacts]),
            spans=np.concatenate([self.spans, self.spans[twin] + n]),
            beats=np.concatenate([self.beats, self.beats[twin]]),
            embeddings=np.concatenate([self.embeddings, self.mirror_embeddings[twin]]),
            energy=np.concatenate([self.energy, self.energy[twin]]),
            names=np.concatenate([self.names, np.char.add(self.names[twin], "~mirror")]),
            tags=np.concatenate([self.tags, np.array(tags, dtype=str)]),
            mirror_embeddings=np.zeros(
                (len(self) + len(twin), self.embeddings.shape[1]), np.float32
            ),
            mirrorable=np.zeros(len(self) + len(twin), dtype=bool),
            stops=np.concatenate([self.stops, self.stops]),
            model_id=self.model_id,
            fps=self.fps,
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> MotionLibrary:
        """Read a library. Raises MotionFileError if it is not one or any array is malformed."""
        path = Path(path)
        try:
            arrays = read_npz(path, MAX_LIBRARY_BYTES)
            values = {f.name: arrays[f.name] for f in fields(cls)}
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise MotionFileError(f"{path.name}: not a motion library ({exc})") from exc
        try:
            return cls.checked(values).with_mirrors()
        except MotionFileError as exc:
            raise MotionFileError(f"{path.name}: {exc}") from exc

    @classmethod
    def checked(cls, values: dict[str, np.ndarray]) -> MotionLibrary:
        """A library from plain arrays, every shape, type, range and offset checked.

        Raises MotionFileError naming the first array that is wrong.
        """
        fps = np.asarray(values["fps"])
        if fps.shape != () or not np.issubdtype(fps.dtype, np.number):
            raise MotionFileError("fps is not a number")
        fps = float(fps)
        if not (np.isfinite(fps) and 1.0 <= fps <= 1000.0):
            raise MotionFileError(f"frame rate {fps} is not between 1 and 1000 fps")
        model = np.asarray(values["model_id"])
        if model.shape != () or model.dtype.kind != "U":
            raise MotionFileError("model_id is not one string")
        numeric = {"poses", "trans", "contacts", "spans", "beats", "embeddings", "energy",
                   "mirror_embeddings"}  # fmt: skip
        for name in ("mirrorable", "stops"):
            if np.asarray(values[name]).dtype != bool:
                raise MotionFileError(f"{name} is not boolean")
        for name in numeric:
            if not np.issubdtype(np.asarray(values[name]).dtype, np.number):
                raise MotionFileError(f"{name} is not numeric")
        for name in ("names", "tags"):
            if np.asarray(values[name]).dtype.kind != "U":
                raise MotionFileError(f"{name} is not text")
        poses = np.asarray(values["poses"], dtype=np.float32)
        n_frames, n_segments = len(poses), len(values["names"])
        embeddings = np.asarray(values["embeddings"], dtype=np.float32)
        width = embeddings.shape[-1] if embeddings.ndim == 2 else -1
        expected = {
            "poses": (n_frames, N_JOINTS, 3),
            "trans": (n_frames, 3),
            "contacts": (n_frames, 4),
            "spans": (n_segments, 2),
            "beats": (n_segments, 5),
            "embeddings": (n_segments, width),
            "energy": (n_segments,),
            "names": (n_segments,),
            "tags": (n_segments,),
            "mirror_embeddings": (n_segments, width),
            "mirrorable": (n_segments,),
            "stops": (n_frames,),
        }
        for name, shape in expected.items():
            if np.shape(values[name]) != shape:
                raise MotionFileError(
                    f"{name} has shape {np.shape(values[name])}, expected {shape}"
                )
        if n_segments == 0:
            raise MotionFileError("holds no segments")
        for name in numeric:
            if not np.all(np.isfinite(values[name])):
                raise MotionFileError(f"{name} holds NaN or infinite values")
        spans = np.asarray(values["spans"])
        if not np.array_equal(spans, np.round(spans)):
            raise MotionFileError("spans are not whole frames")
        spans = spans.astype(np.int64)
        if np.any(spans[:, 0] < 0) or np.any(spans[:, 1] > n_frames):
            raise MotionFileError("spans reach outside the frames")
        beats = np.asarray(values["beats"], dtype=np.float64)
        lengths = (spans[:, 1] - spans[:, 0] - 1) / fps
        if np.any(spans[:, 1] - spans[:, 0] < 2) or np.any(lengths > MAX_SEGMENT_SECONDS):
            raise MotionFileError(f"segments must span 2 frames to {MAX_SEGMENT_SECONDS:g} s")
        if np.any(beats[:, 0] != 0) or np.any(np.diff(beats, axis=1) <= 0):
            raise MotionFileError("beats must start at 0 and increase")
        if np.any(beats[:, -1] > lengths + 0.5 / fps):
            raise MotionFileError("beats run past their segments' frames")
        mirrorable = np.asarray(values["mirrorable"])
        mirror_embeddings = np.asarray(values["mirror_embeddings"], dtype=np.float32)
        for name, rows in (
            ("embeddings", embeddings),
            ("mirror_embeddings", mirror_embeddings[mirrorable]),
        ):
            if np.any(np.abs(np.linalg.norm(rows, axis=1) - 1.0) > 1e-2):
                raise MotionFileError(f"{name} are not unit vectors")
        energy = np.asarray(values["energy"], dtype=np.float32)
        if np.any(energy < 0):
            raise MotionFileError("energy is negative")
        return cls(
            poses=poses,
            trans=np.asarray(values["trans"], dtype=np.float32),
            contacts=np.asarray(values["contacts"], dtype=np.float32),
            spans=spans,
            beats=beats,
            embeddings=embeddings,
            energy=energy,
            names=np.asarray(values["names"]),
            tags=np.asarray(values["tags"]),
            mirror_embeddings=mirror_embeddings,
            mirrorable=mirrorable,
            stops=np.asarray(values["stops"]),
            model_id=str(model),
            fps=fps,
        )

    @classmethod
    def concatenate(cls, parts: list[MotionLibrary]) -> MotionLibrary:
        """One library of several. Raises MotionFileError if their frame rates or models
        differ."""
        if len({p.fps for p in parts}) > 1:
            raise MotionFileError("libraries of different frame rates cannot be joined")
        if len({p.model_id for p in parts}) > 1:
            raise MotionFileError("libraries embedded by different models cannot be joined")
        offsets = np.cumsum([0] + [len(p.poses) for p in parts[:-1]])
        return cls(
            poses=np.concatenate([p.poses for p in parts]),
            trans=np.concatenate([p.trans for p in parts]),
            contacts=np.concatenate([p.contacts for p in parts]),
            spans=np.concatenate(
                [p.spans + offset for p, offset in zip(parts, offsets, strict=True)]
            ),
            beats=np.concatenate([p.beats for p in parts]),
            embeddings=np.concatenate([p.embeddings for p in parts]),
            energy=np.concatenate([p.energy for p in parts]),
            names=np.concatenate([p.names for p in parts]),
            tags=np.concatenate([p.tags for p in parts]),
            mirror_embeddings=np.concatenate([p.mirror_embeddings for p in parts]),
            mirrorable=np.concatenate([p.mirrorable for p in parts]),
            stops=np.concatenate([p.stops for p in parts]),
            model_id=parts[0].model_id,
            fps=parts[0].fps,
        )

    @functools.cached_property
    def boundary_joints(self) -> np.ndarray:
        """Root-relative joints and joint velocities at every segment's first and last frame,
        each seen in the segment's own heading there: ``(S, 4, 24, 3)`` float32 (start, start
        velocity, end, end velocity; metres and m/s)."""
        first, last = self.spans[:, 0], self.spans[:, 1] - 1
        out = []
        for frames, neighbours, sign in ((first, first + 1, 1.0), (last, last - 1, -1.0)):
            joints, _ = forward_kinematics(self.poses[frames], self.trans[frames])
            near, _ = forward_kinematics(self.poses[neighbours], self.trans[neighbours])
            unturn = Rotation.from_euler("y", -pelvis_heading(self.poses[frames])[:, None])
            unturn = unturn.as_matrix()
            relative = joints - joints[:, :1]
            velocity = sign * (near - joints) * self.fps
            for vectors in (relative, velocity):
                out.append(np.einsum("sij,skj->ski", unturn, vectors).astype(np.float32))
        return np.stack(out, axis=1)


def load_libraries(path: str | os.PathLike) -> MotionLibrary:
    """A library file, a built-in library by name ("cmu", "procedural"), or every library
    (``.npz``) in a folder joined into one, in name order.

    Raises MotionFileError if the path is missing, the folder holds no ``.npz``, or a file is
    not a library.
    """
    if os.fspath(path) in BUILT_IN:
        return built_in_library(os.fspath(path))
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.npz"))
        if not files:
            raise MotionFileError(f"{path}: holds no motion libraries (.npz)")
        return MotionLibrary.concatenate([MotionLibrary.load(f) for f in files])
    if not path.is_file():
        raise MotionFileError(f"{path}: no such motion library")
    return MotionLibrary.load(path)


@functools.cache
def built_in_library(name: str) -> MotionLibrary:
    """A shipped library by name (``BUILT_IN``), read once per process."""
    return MotionLibrary.load(BUILT_IN[name])


def default_library() -> MotionLibrary:
    """The embedded default: real captured dance (the CMU captures), read once per process."""
    return built_in_library("cmu")
