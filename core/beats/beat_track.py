"""The result of beat tracking, whichever tracker found it.

Two trackers give it: MotionBeat's own (``core.beats.network``: a network on log-mel frames and
a Viterbi decoder; 3/4 or 4/4, with confidence) and librosa's (``core.beats.librosa_tracker``:
dynamic programming on the onset envelope, with a downbeat heuristic; 4/4).
``core.analysis.find_beats`` chooses between them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.errors import BeatTrackingError

METERS = (3, 4)  # beats per bar the trackers decode and the choreographers dance in


@dataclass(frozen=True)
class BeatTrack:
    """Beat analysis of one song: the one owner of its meter.

    beats : (n,) float64, seconds, increasing
    beats_per_bar : int, the meter's beats per bar (3 or 4; of most bars, where it changes);
        the choreographers' bars are this long
    first_downbeat_index : index into ``beats`` of the first downbeat
    tracker : name of what found the beats: "motionbeat", "librosa" or "given" (annotations)
    confidence : float in [0, 1] from trackers that give one (MotionBeat's), else None
    accents : (n,) float64 onset strength at each beat (the tracker's spectral flux, its peak
        within a frame of the beat; units of the tracker's), or None (annotations): how hard
        the music hits each beat, which the choreographer's beat accent follows
    """

    beats: np.ndarray
    beats_per_bar: int
    first_downbeat_index: int
    tracker: str
    confidence: float | None = None
    accents: np.ndarray | None = None
    downbeat_indices: np.ndarray | None = None
    """(m,) int indices into ``beats`` of the downbeats where a tracker decoded them one by one
    (MotionBeat's bar-pointer HMM: a bar may restart early or late, or change meter), from
    ``first_downbeat_index``; None: every ``beats_per_bar``-th beat from it."""

    def __post_init__(self):
        if self.beats_per_bar not in METERS:
            raise ValueError(f"{self.beats_per_bar} beats a bar: MotionBeat dances in {METERS}")
        if self.downbeat_indices is not None and (
            len(self.downbeat_indices) == 0 or self.downbeat_indices[0] != self.first_downbeat_index
        ):
            raise ValueError("downbeat_indices must start at first_downbeat_index")

    @classmethod
    def given(cls, beats: np.ndarray, downbeats: np.ndarray, beats_per_bar: int) -> BeatTrack:
        """A track from annotated ``beats`` and ``downbeats`` (seconds): each downbeat on the
        beat nearest it, so bars of other lengths in the annotation stay as annotated.
        Raises ValueError for a meter outside ``METERS``."""
        beats = np.asarray(beats, dtype=np.float64)
        nearest = np.abs(beats[None, :] - np.asarray(downbeats, dtype=np.float64)[:, None])
        indices = np.unique(np.argmin(nearest, axis=1))
        return cls(beats, int(beats_per_bar), int(indices[0]), "given", downbeat_indices=indices)

    def within(self, start: float, end: float) -> BeatTrack:
        """The track with only the beats from ``start`` to ``end`` seconds (half a median beat
        either side), its bars counted as before. Raises BeatTrackingError if fewer than two
        remain."""
        margin = 0.5 * 60.0 / self.tempo_bpm
        keep = np.flatnonzero((self.beats >= start - margin) & (self.beats <= end + margin))
        if len(keep) < 2:
            raise BeatTrackingError("no steady beat found in the music")
        if len(keep) == len(self.beats):
            return self
        kept = slice(keep[0], keep[-1] + 1)
        accents = None if self.accents is None else self.accents[kept]
        downbeats = None
        if self.downbeat_indices is not None:
            inside = (self.downbeat_indices >= keep[0]) & (self.downbeat_indices <= keep[-1])
            downbeats = self.downbeat_indices[inside] - int(keep[0])
        if downbeats is not None and len(downbeats):
            first = int(downbeats[0])
        else:  # regular bars, or no downbeat kept: count bars on from the last one before
            before = self.downbeat_index[self.downbeat_index < keep[0]]
            last = int(before[-1]) if len(before) else self.first_downbeat_index
            first, downbeats = (last - int(keep[0])) % self.beats_per_bar, None
        return replace(
            self,
            beats=self.beats[kept],
            first_downbeat_index=first,
            accents=accents,
            downbeat_indices=downbeats,
        )

    @property
    def downbeat_index(self) -> np.ndarray:
        """(m,) int64 indices into ``beats`` of the downbeats."""
        if self.downbeat_indices is not None:
            return np.asarray(self.downbeat_indices, dtype=np.int64)
        return np.arange(self.first_downbeat_index, len(self.beats), self.beats_per_bar)

    @property
    def downbeats(self) -> np.ndarray:
        """(m,) float64 seconds of the downbeats."""
        return self.beats[self.downbeat_index]

    @property
    def bar_phase(self) -> np.ndarray:
        """(n,) float32 in [0, 1): each beat's position in its bar over the bar's length in
        beats, 0 on downbeats. Beats before the first downbeat count back in
        ``beats_per_bar``; those after the last, on in it."""
        n, per_bar = len(self.beats), self.beats_per_bar
        phase = regular_bar_phase(n, self.first_downbeat_index, per_bar)
        if self.downbeat_indices is not None:
            downs = self.downbeat_index
            for start, stop in zip(downs[:-1], downs[1:], strict=True):
                phase[start:stop] = np.arange(stop - start) / (stop - start)
            phase[downs[-1] :] = regular_bar_phase(n - downs[-1], 0, per_bar)
        return phase

    @property
    def tempo_bpm(self) -> float:
        """Beats per minute of the median beat period."""
        return median_tempo(self.beats)

    @property
    def tempo_curve(self) -> np.ndarray:
        """Local tempo: (n - 1, 2) float64 rows of (beat time in seconds, BPM since the beat
        before)."""
        return np.stack([self.beats[1:], 60.0 / np.diff(self.beats)], axis=1)

    def summary(self) -> dict:
        """What the command line and the batch's JSON report of a track (rounded)."""
        return {
            "tracker": self.tracker,
            "tempo_bpm": round(self.tempo_bpm, 3),
            "time_signature": f"{self.beats_per_bar}/4",
            "beats_per_bar": self.beats_per_bar,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "beats": len(self.beats),
            "bars": len(self.downbeats),
        }


def regular_bar_phase(n: int, first_downbeat_index: int, beats_per_bar: int) -> np.ndarray:
    """Bar phase in [0, 1) of ``n`` beats (or the beat tokens that start on them) in bars of
    ``beats_per_bar`` from beat ``first_downbeat_index``: (n,) float32, 0 on downbeats."""
    return (((np.arange(n) - first_downbeat_index) % beats_per_bar) / beats_per_bar).astype(
        np.float32
    )


def median_tempo(beats: np.ndarray) -> float:
    """Tempo in BPM from the median inter-beat interval of ``beats`` (seconds, increasing)."""
    return 60.0 / float(np.median(np.diff(beats)))


def peak_near(curve: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """The highest value of a frame-wise ``curve`` within one frame of each of ``frames`` (beat
    frames, quantised): (len(frames),)."""
    window = np.stack([np.clip(frames + d, 0, len(curve) - 1) for d in (-1, 0, 1)])
    return curve[window].max(axis=0)
