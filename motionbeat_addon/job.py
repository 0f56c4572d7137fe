"""The analysis and choreography of one generation, run on a worker thread.

Blender's data must only be touched from the main thread, so the worker computes the dance
(numpy and scipy, with the MotionBeat tracker and music encoder; no bpy) and the modal operator
keys it when the worker is done. Until then nothing in the scene has changed, so Esc simply
discards the job.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .preferences import Assets

if TYPE_CHECKING:
    from core.analysis import SongAnalysis
    from core.body.motion import Motion
    from core.choreography.motion_graph import Controls


def generate(
    song: Path, seed: int, fps: float, controls: Controls | None, assets: Assets, progress=None
) -> tuple[SongAnalysis, Motion]:
    """``core.generate.generate_dance`` with the music encoder and motion library that the
    preferences choose. Raises MotionBeatError (ModelFileError, MotionFileError, ...)."""
    # The pipeline is read here, when a dance is generated, not when the add-on registers.
    from core.choreography.library import load_libraries
    from core.generate import generate_dance
    from core.model.numpy_encoder import NumpyAudioEncoder

    library = load_libraries(assets.motion_library) if assets.motion_library else None
    encoder = NumpyAudioEncoder(assets.music_encoder) if assets.music_encoder else None
    return generate_dance(
        song, seed, fps=fps, library=library, controls=controls, progress=progress, encoder=encoder
    )


class _Cancelled(Exception):
    """Raised into the worker's own pipeline at the next stage after Esc."""


@dataclass
class GenerationJob:
    """One song's dance, computed off the main thread.

    controls : the choreography settings (``core.choreography.motion_graph.Controls``, default when
    None) stage / progress : what the worker is doing and the share done, 0..1, for the UI result :
    (SongAnalysis, Motion) once done without error; error : the exception otherwise
    """

    song: Path
    seed: int
    fps: float
    controls: Controls | None = None
    assets: Assets = Assets()
    stage: str = "starting"
    progress: float = 0.0
    result: tuple[SongAnalysis, Motion] | None = None
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name="MotionBeat", daemon=True)

    def start(self) -> GenerationJob:
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the worker to stop at the next stage; its result, if any, is dropped."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _stage(self, stage: str, done: float) -> None:
        if self.cancelled:
            raise _Cancelled
        self.stage, self.progress = stage, done

    def _run(self) -> None:
        try:
            result = generate(
                self.song, self.seed, self.fps, self.controls, self.assets, self._stage
            )
            self._stage("keying", 0.95)
            self.result = result
        except _Cancelled:
            pass
        except BaseException as exc:  # reported on the main thread, which owns the UI
            self.error = exc


running: GenerationJob | None = None  # the job the UI is showing, on the main thread only
