"""Bars: the song's beats extended to whole bars, and each bar's loudness rank.

Numpy only. Both choreographers place their material on this grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.beats.beat_track import BeatTrack

# Loudness and energy closer than this share of the largest are equal for choosing moves: far
# above float32 round-off (1e-7), below any difference a listener would hear (chosen by hand).
RANK_PRECISION = 1e-4


@dataclass(frozen=True)
class BarGrid:
    """Beat times extended to whole bars covering a song.

    beat_times : (n_bars * beats_per_bar + 1,) float64 seconds; entry 0 is a downbeat at or
    before the music's start and the last is at or after its end.
    accents : (len(beat_times),) float64 in [-1, 1], how much harder than the rest of its bar
    the music hits each beat (``beat_accents``); 0 where the track gives no accents and on the
    beats added before and after it.
    """

    beat_times: np.ndarray
    beats_per_bar: int
    accents: np.ndarray

    @property
    def n_bars(self) -> int:
        return (len(self.beat_times) - 1) // self.beats_per_bar

    def per_bar(self, values: np.ndarray) -> np.ndarray:
        """(n_bars, beats_per_bar + 1) of a per-beat array (``beat_times``, ``accents``): each
        bar's beat boundaries, bar lines included (a bar line ends one row and starts the
        next)."""
        index = np.arange(self.n_bars)[:, None] * self.beats_per_bar
        return values[index + np.arange(self.beats_per_bar + 1)[None, :]]

    def beat_position(self, times: np.ndarray) -> np.ndarray:
        """Continuous beat index of each time (seconds): the piecewise-linear time warp."""
        return np.interp(times, self.beat_times, np.arange(len(self.beat_times)))


def bar_grid(
    beat_track: BeatTrack, start: float, end: float, beats_per_bar: int | None = None
) -> BarGrid:
    """Extend the tracked beats with their median period so whole bars cover [start, end]
    seconds (the music: ``SongAnalysis.music``; the dance holds still outside it).

    Bars of ``beats_per_bar`` beats (the song's meter by default; the procedural moves ask for
    their own four, counted from the first downbeat) on the track's downbeats: a stretch of
    another length between two downbeats (a bar the tracker found restarting early or late, or
    in another meter) is resampled to the whole number of bars nearest its length
    (``_grid_positions``), so that every grid bar starts on a downbeat.
    """
    beats, per_bar = beat_track.beats, beats_per_bar or beat_track.beats_per_bar
    if beat_track.downbeat_indices is None or per_bar != beat_track.beats_per_bar:
        position = np.arange(len(beats), dtype=np.float64)  # bars counted on from the first
    else:
        position = _grid_positions(beat_track.downbeat_indices, len(beats), per_bar)
    period = float(np.median(np.diff(beats)))
    # Prepend beats until one falls at or before the start and the grid starts on a downbeat.
    n_before = max(0, int(np.ceil((beats[0] - start) / period - 1e-6)))  # one on it needs none
    n_before += -(beat_track.first_downbeat_index + n_before) % per_bar
    n_after = max(1, int(np.ceil((end - beats[-1]) / period)))
    n_after += -(n_before + len(position) - 1 + n_after) % per_bar  # end on a bar line
    before = beats[0] - period * np.arange(n_before, 0, -1)
    after = beats[-1] + period * np.arange(1, n_after + 1)
    on_beat = position == np.round(position)  # grid beats that are tracked beats
    strengths = np.full(n_before + len(position) + n_after, np.nan)
    if beat_track.accents is not None:
        strengths[n_before : n_before + len(position)][on_beat] = beat_track.accents[
            position[on_beat].astype(np.int64)
        ]
    times = np.interp(position, np.arange(len(beats)), beats)
    return BarGrid(
        np.concatenate([before, times, after]), per_bar, beat_accents(strengths, per_bar)
    )


def _grid_positions(downbeats: np.ndarray, n_beats: int, per_bar: int) -> np.ndarray:
    """Grid beats as positions in the tracked beats (0 .. n_beats - 1, fractional where
    resampled): the tracked beats up to the first downbeat and from the last; between two
    downbeats ``k`` beats apart, ``max(1, round(k / per_bar))`` bars of ``per_bar`` evenly
    spaced positions (seven beats in 4/4 become two bars, five one)."""
    pieces = [np.arange(downbeats[0], dtype=np.float64)]
    for a, b in zip(downbeats[:-1], downbeats[1:], strict=True):
        n = max(1, round((b - a) / per_bar)) * per_bar
        pieces.append(a + (b - a) * np.arange(n) / n)
    pieces.append(np.arange(downbeats[-1], n_beats, dtype=np.float64))
    return np.concatenate(pieces)


def beat_accents(strengths: np.ndarray, beats_per_bar: int) -> np.ndarray:
    """Each beat's onset strength less its bar's mean, over the song's standard deviation of
    that difference, clipped to [-1, 1]: (n,) float64. strengths : (n,) from a downbeat, NaN
    where unknown (0 out). Bar means, not the song's, because a loud chorus is not an accent:
    a beat is accented against the beats around it (as ``core.metrics.accent_alignment``
    measures it)."""
    n = len(strengths)
    bar = np.arange(n) // beats_per_bar
    known = ~np.isnan(strengths)
    sums = np.bincount(bar[known], weights=strengths[known], minlength=bar[-1] + 1)
    counts = np.bincount(bar[known], minlength=bar[-1] + 1)
    deviation = np.where(known, strengths - sums[bar] / np.maximum(counts[bar], 1), 0.0)
    spread = deviation[known].std() if known.sum() > 1 else 0.0
    if spread <= 0:
        return np.zeros(n)
    return np.clip(deviation / spread, -1.0, 1.0)


def bar_loudness(rms: np.ndarray, rms_times: np.ndarray, grid: BarGrid) -> np.ndarray:
    """Each bar's loudness as its rank among the song's bars, in [0, 1].

    rms : (frames,) RMS energy at ``rms_times`` seconds. Returns ``(n_bars,)`` float64.
    """
    starts = grid.beat_times[:: grid.beats_per_bar]
    bar_of_frame = np.clip(np.searchsorted(starts, rms_times, side="right") - 1, 0, grid.n_bars)
    sums = np.bincount(bar_of_frame, weights=rms, minlength=grid.n_bars + 1)[: grid.n_bars]
    counts = np.bincount(bar_of_frame, minlength=grid.n_bars + 1)[: grid.n_bars]
    return rank_shares(sums / np.maximum(counts, 1))  # a bar with no frames is silent


def rank_shares(values: np.ndarray) -> np.ndarray:
    """Each value's rank among all as a share in [0, 1] (0 the smallest): ``(n,)`` float64.

    Neighbours in sorted order closer than ``RANK_PRECISION`` times the largest magnitude tie,
    with the mean rank of their run. So float32 round-off, or another numpy's order of equal
    keys in ``argsort`` (numpy 2 sorts with SIMD kernels), cannot reorder them: ranks change
    only where a gap between neighbours lies within round-off of that tolerance. The dance
    depends on these ranks: two procedural segments of equal energy swapped ranks between
    numpy 1.26 and 2.4 and changed the dance.
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return np.zeros(len(values))
    order = np.argsort(values, kind="stable")
    tolerance = RANK_PRECISION * float(np.abs(values).max())
    run = np.r_[0, np.cumsum(np.diff(values[order]) > tolerance)]  # run of each sorted value
    first = np.searchsorted(run, run, side="left")
    last = np.searchsorted(run, run, side="right") - 1
    ranks = np.empty(len(values))
    ranks[order] = (first + last) / 2.0
    return ranks / (len(values) - 1)
