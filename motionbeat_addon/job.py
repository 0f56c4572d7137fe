"""The analysis and choreography of one generation, run on a worker thread.

Blender's data must only be touched from the main thread, so the worker computes the dance
(pure numpy and librosa, no bpy) and the modal operator keys it when the worker is done. Until
then nothing in the scene has changed, so Esc simply discards the job.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from core.analysis import SongAnalysis, analyze_song
from core.choreographer import choreograph
from core.motion import Motion

# Share of the job done after each stage (analysis dominates: decoding, STFT, beat tracking).
STAGES = (("finding beats", 0.0), ("choreographing", 0.85), ("keying", 0.95))


@dataclass
class GenerationJob:
    """One song's dance, computed off the main thread.

    stage / progress : what the worker is doing and the share done, 0..1, for the UI
    result : (SongAnalysis, Motion) once done without error; error : the exception otherwise
    """

    song: Path
    seed: int
    fps: float
    stage: str = STAGES[0][0]
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

    def _enter(self, index: int) -> None:
        self.stage, self.progress = STAGES[index]

    def _run(self) -> None:
        try:
            analysis = analyze_song(self.song)
            if self.cancelled:
                return
            self._enter(1)
            motion = choreograph(analysis, fps=self.fps, seed=self.seed)
            if self.cancelled:
                return
            self._enter(2)
            self.result = (analysis, motion)
        except BaseException as exc:  # reported on the main thread, which owns the UI
            self.error = exc


running: GenerationJob | None = None  # the job the UI is showing, on the main thread only
