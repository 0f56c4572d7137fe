"""Beat and downbeat times from frame-wise activations, by Viterbi decoding in numpy.

Two stages, as in madmom's ``DBNBeatTrackingProcessor`` and ``DBNBarTrackingProcessor``
(Böck, Krebs and Widmer, "Joint beat and downbeat tracking with recurrent neural networks",
ISMIR 2016; Krebs, Böck, Dorfer and Widmer, "Downbeat tracking using beat-synchronous features
with recurrent neural networks", ISMIR 2016):

1. ``decode_beats``: a beat-pointer dynamic Bayesian network. A state is (beat interval in frames,
   position within the beat). The position advances one frame at a time; at the end of a beat the
   interval may change, with probability ``exp(-lambda * |new / old - 1|)`` (the state space and
   tempo transition of Krebs, Böck and Widmer, "An efficient state-space model for joint tempo
   and meter tracking", ISMIR 2015). The first position of each beat observes the beat activation,
   the others its complement. Madmom makes the first 1/16 of every beat a beat state; one frame
   at every tempo is used here instead, since more beat states at slow tempi reward a wide
   activation peak and pull the path to half tempo. This follows tempo changes and, because
   every tempo from ``min_bpm`` to ``max_bpm`` is a state, songs from 60 to 200 BPM.
2. ``decode_bars``: the bar position of each beat, by Viterbi decoding of a bar-pointer HMM over
   the beats (madmom's bar-tracking HMM; Krebs, Böck, Dorfer and Widmer 2016). A state is
   (meter, position in the bar); the position advances one beat at a time and returns to 0,
   the downbeat, after ``meter`` beats. With probability ``PHASE_JUMP`` the next beat takes
   another position instead (the bar restarts early or late: a beat the tracker dropped or
   added, or a bar of another length in the music), and at a bar's end the meter changes with
   probability ``METER_CHANGE``: they cost about 9 and 18 nats, so the path takes one only
   where several bars of evidence ask for it. Position 0 observes the downbeat activation at the
   beat, the others its complement, each divided by its prior share of beats in training (the
   network's output is a posterior; over its prior it is a scaled likelihood, as in hybrid
   HMM/network recognisers, Bourlard and Morgan 1994). Each beat's evidence adds the song's
   ``bar_novelty`` there, a beat-synchronous feature (as in Krebs, Böck, Dorfer and Widmer
   2016): chords, instruments and patterns change at bar lines (Goto 2001), which the
   frame-wise head, trained mostly on General MIDI renders, reads poorly in music made of
   samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.beats.beat_track import METERS, peak_near

MIN_BPM = 55.0  # madmom's DBNBeatTrackingProcessor min_bpm
MAX_BPM = 215.0  # and max_bpm
TEMPO_CHANGE_LAMBDA = 100.0  # madmom's transition_lambda
OBSERVATION_LAMBDA = 16  # madmom's: weight of a beat state against the others
# One phase jump in 10 000 beats. On the validation split (``python -m
# training.beats.evaluate``) downbeat F over all sets is 0.657 with one meter and phase a song,
# 0.689 with jumps at 1e-4, 0.670 at 1e-6 and 0.645 at 1e-2 (more often, and the path follows
# noise in the evidence). A change of time signature is far rarer in songs than a bar that
# restarts early or late: at 1e-4 one 4/4 LMMS song (Saber-FinalStep) turned 3/4 for most of its
# bars; at 1e-8 (about 18 nats) it stays 4/4, at 0.002 less downbeat F over 93 songs.
PHASE_JUMP = 1e-4
METER_CHANGE = 1e-8
THRESHOLD = 0.1  # activation that marks the start and end of the music (silence is cropped)
SNAP_FRAMES = 2  # a decoded beat moves to the activation peak within this many frames (by hand)
# Share of the training songs' beats that are downbeats (0.251 in the MIDI labels of the 41
# training songs): without dividing it out, weak downbeat evidence favours the meter with the
# fewest downbeats, since each costs log(activation) and every other beat only log(1 - it).
DOWNBEAT_PRIOR = 0.25
_FLOOR = 1e-6  # keeps logarithms finite
# The bar novelty compares the mean spectrum of the NOVELTY_BEATS beats after a beat with the
# NOVELTY_BEATS before it (a 4/4 bar) and adds NOVELTY_WEIGHT nats per standard deviation of it
# to the beat's downbeat log-likelihood. One weight, chosen on the 65 shared annotated songs
# (downbeat F of LMMS / tracker modules / Hydrogen: 0.79 / 0.32 / 0.83 at 0, 0.79 / 0.39 /
# 0.83 at 0.5, 0.84 / 0.45 / 0.83 at 1, 0.84 / 0.45 / 0.83 at 2 and 3): the gain holds over a
# wide range, so it is not a fit to these songs.
NOVELTY_BEATS = 4
NOVELTY_WEIGHT = 1.0


@dataclass(frozen=True)
class BeatStateSpace:
    """Krebs et al. (2015) beat state space at a frame rate.

    intervals : (K,) int, beat lengths in frames, increasing
    first : (K,) int, index of each interval's position-0 state
    """

    intervals: np.ndarray
    first: np.ndarray

    @classmethod
    def for_tempi(cls, fps: float, min_bpm: float, max_bpm: float) -> BeatStateSpace:
        shortest = max(2, int(np.floor(60.0 * fps / max_bpm)))
        longest = int(np.ceil(60.0 * fps / min_bpm))
        intervals = np.arange(shortest, longest + 1)
        first = np.concatenate([[0], np.cumsum(intervals)[:-1]])
        return cls(intervals=intervals, first=first)

    @property
    def n_states(self) -> int:
        return int(self.intervals.sum())

    @property
    def last(self) -> np.ndarray:
        """(K,) int, index of each interval's last position."""
        return self.first + self.intervals - 1

    def log_tempo_transitions(self, transition_lambda: float) -> np.ndarray:
        """(K, K) log probability of moving from interval i (row) to interval j (column)."""
        ratio = self.intervals[None, :] / self.intervals[:, None]
        log_p = -transition_lambda * np.abs(ratio - 1.0)
        return log_p - np.logaddexp.reduce(log_p, axis=1, keepdims=True)


def music_span(activation: np.ndarray, threshold: float = THRESHOLD) -> tuple[int, int]:
    """First and one-past-last frame whose activation reaches ``threshold`` (0, 0 if none).

    Decoding only this span keeps beats out of silence at the start and end of a song.
    """
    above = np.flatnonzero(activation >= threshold)
    if len(above) == 0:
        return 0, 0
    return int(above[0]), int(above[-1]) + 1


def _peak_offset(activation: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Sub-frame peak position by a parabola through each frame and its neighbours."""
    left = activation[np.clip(frames - 1, 0, len(activation) - 1)]
    centre = activation[frames]
    right = activation[np.clip(frames + 1, 0, len(activation) - 1)]
    curvature = left - 2.0 * centre + right
    safe = np.where(curvature < -1e-9, curvature, -1.0)
    offset = np.where(curvature < -1e-9, 0.5 * (left - right) / safe, 0.0)
    return np.clip(offset, -0.5, 0.5)


def decode_beats(
    activation: np.ndarray,
    fps: float,
    min_bpm: float = MIN_BPM,
    max_bpm: float = MAX_BPM,
    transition_lambda: float = TEMPO_CHANGE_LAMBDA,
    threshold: float = THRESHOLD,
    tempo_probabilities: np.ndarray | None = None,
) -> np.ndarray:
    """Beat times from a frame-wise beat activation.

    activation : (T,) float in [0, 1], frame t at ``t / fps`` seconds.
    tempo_probabilities : optional (K,) probabilities of the song's beat interval over
        ``BeatStateSpace.for_tempi(fps, min_bpm, max_bpm).intervals`` (the tracker's tempo
        head, after Böck, Davies and Knees, ISMIR 2019). The path pays its log-probability once
        per second of music, which settles the metrical level where the activation leaves it
        open; per second rather than per beat, so that a path at twice the tempo does not pay
        it twice as often.
    Returns (n,) float64 seconds, increasing; empty when no frame reaches ``threshold``.
    """
    start, stop = music_span(activation, threshold)
    if stop - start < 2:
        return np.zeros(0)
    act = np.clip(activation[start:stop].astype(np.float64), _FLOOR, 1.0 - _FLOOR)
    space = BeatStateSpace.for_tempi(fps, min_bpm, max_bpm)
    log_beat = np.log(act)
    log_other = np.log((1.0 - act) / (OBSERVATION_LAMBDA - 1))
    log_tempo = space.log_tempo_transitions(transition_lambda)
    if tempo_probabilities is not None:
        if len(tempo_probabilities) != len(space.intervals):
            raise ValueError(
                f"{len(tempo_probabilities)} tempo probabilities for "
                f"{len(space.intervals)} beat intervals"
            )
        log_prior = np.log(np.maximum(tempo_probabilities, _FLOOR))
        log_tempo = log_tempo + (log_prior * space.intervals / fps)[None, :]  # on each new beat
    first, last = space.first, space.last  # a beat's first position is its beat state
    columns = np.arange(len(first))

    delta = np.full(space.n_states, -np.log(space.n_states)) + log_other[0]
    delta[first] += log_beat[0] - log_other[0]
    came_from = np.empty((len(act), len(first)), dtype=np.int16)  # interval before each new beat
    for t in range(1, len(act)):
        candidates = delta[last][:, None] + log_tempo
        best = np.argmax(candidates, axis=0)
        came_from[t] = best
        advanced = np.empty_like(delta)
        advanced[1:] = delta[:-1]  # every position moves one frame on within its beat ...
        advanced[first] = candidates[best, columns]  # ... except a new beat's first position
        advanced += log_other[t]
        advanced[first] += log_beat[t] - log_other[t]
        delta = advanced

    interval_of = np.repeat(np.arange(len(first)), space.intervals)
    path = np.empty(len(act), dtype=np.int64)
    state = int(np.argmax(delta))
    for t in range(len(act) - 1, 0, -1):
        path[t] = state
        k = interval_of[state]
        state = last[came_from[t, k]] if state == first[k] else state - 1
    path[0] = state
    # Integer beat lengths can hold the path a frame or two off a peak that falls between
    # lengths (117.6 BPM is 25.5 frames): each beat moves to the highest activation near it.
    frames = np.flatnonzero(np.isin(path, first))
    if len(frames) == 0:
        return np.zeros(0)
    nearby = np.clip(
        frames[None, :] + np.arange(-SNAP_FRAMES, SNAP_FRAMES + 1)[:, None], 0, len(act) - 1
    )
    frames = nearby[np.argmax(act[nearby], axis=0), np.arange(len(frames))]
    return (start + frames + _peak_offset(act, frames)) / fps


def beat_strengths(activation: np.ndarray, fps: float, times: np.ndarray) -> np.ndarray:
    """The peak of a frame-wise curve (an activation, a spectral flux) within one frame of
    each time: (n,) of its dtype."""
    frames = np.clip(np.round(np.asarray(times) * fps).astype(np.int64), 0, len(activation) - 1)
    return peak_near(activation, frames)


def bar_novelty(log_mel: np.ndarray, fps: float, beats: np.ndarray) -> np.ndarray:
    """How much the sound changes at each beat: the Euclidean distance between the mean log-mel
    spectrum of the ``NOVELTY_BEATS`` beats after it and of those before it (fewer at the
    song's ends), z-scored over the song. (n,) float64; zeros for fewer than three beats.

    log_mel : (T, bands) log-mel magnitudes at ``fps``; beats : (n,) seconds, increasing.
    """
    n = len(beats)
    if n < 3:
        return np.zeros(n)
    frames = np.clip(np.round(np.asarray(beats) * fps).astype(np.int64), 0, len(log_mel) - 1)
    sums = np.concatenate([np.zeros((1, log_mel.shape[1])), np.cumsum(log_mel, axis=0)])

    def mean_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        b = np.maximum(b, a + 1)
        return (sums[b] - sums[a]) / (b - a)[:, None]

    index = np.arange(n)
    after = mean_between(frames, frames[np.minimum(index + NOVELTY_BEATS, n - 1)])
    before = mean_between(frames[np.maximum(index - NOVELTY_BEATS, 0)], frames)
    change = np.linalg.norm(after - before, axis=1)
    spread = change.std()
    return (change - change.mean()) / spread if spread > 0 else np.zeros(n)


def _bar_pointer_transitions(meters: tuple[int, ...]) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The bar-pointer states, (meter, position) pairs, and (S, S) log transition
    probabilities from each state (row) to each (column)."""
    states = [(meter, position) for meter in meters for position in range(meter)]
    log_a = np.full((len(states), len(states)), -np.inf)
    stay = np.log(1.0 - PHASE_JUMP - (METER_CHANGE if len(meters) > 1 else 0.0))
    for i, (meter, position) in enumerate(states):
        for j, (other, to) in enumerate(states):
            if other == meter:
                following = to == (position + 1) % meter
                log_a[i, j] = stay if following else np.log(PHASE_JUMP / (meter - 1))
            elif position == meter - 1 and to == 0:
                log_a[i, j] = np.log(METER_CHANGE / (len(meters) - 1))
    return states, log_a


def decode_bars(
    beats: np.ndarray,
    downbeat_activation: np.ndarray,
    fps: float,
    meters: tuple[int, ...] = METERS,
    novelty: np.ndarray | None = None,
) -> tuple[int, np.ndarray]:
    """Time signature and downbeats of a beat sequence.

    beats : (n,) seconds; downbeat_activation : (T,) float in [0, 1] at ``fps``;
    novelty : (n,) the song's ``bar_novelty`` at the beats, ``NOVELTY_WEIGHT`` nats per unit
    added to each beat's downbeat log-likelihood, or None.
    Returns ``(beats_per_bar, downbeat_indices)``: the meter of most of the song's bars (ties
    to the earlier in ``meters``) and (m,) int64 indices into ``beats`` of the downbeats,
    increasing (at least one where there are beats); every ``beats_per_bar``-th beat unless
    the path jumps.
    """
    if len(beats) == 0:
        return meters[0], np.zeros(0, dtype=np.int64)
    evidence = np.clip(beat_strengths(downbeat_activation, fps, beats), _FLOOR, 1.0 - _FLOOR)
    log_down = np.log(evidence / DOWNBEAT_PRIOR)
    log_other = np.log((1.0 - evidence) / (1.0 - DOWNBEAT_PRIOR))
    if novelty is not None:
        log_down = log_down + NOVELTY_WEIGHT * novelty
    states, log_a = _bar_pointer_transitions(meters)
    is_downbeat = np.array([position == 0 for _, position in states])
    observations = np.where(is_downbeat[None, :], log_down[:, None], log_other[:, None])
    delta = observations[0] - np.log(len(states))
    came_from = np.empty((len(beats), len(states)), dtype=np.int64)
    for t in range(1, len(beats)):
        candidates = delta[:, None] + log_a
        came_from[t] = np.argmax(candidates, axis=0)  # the first of equals: earlier meter, phase
        delta = candidates[came_from[t], np.arange(len(states))] + observations[t]
    path = np.empty(len(beats), dtype=np.int64)
    path[-1] = int(np.argmax(delta))
    for t in range(len(beats) - 1, 0, -1):
        path[t - 1] = came_from[t, path[t]]
    downbeat_indices = np.flatnonzero(is_downbeat[path])
    if len(downbeat_indices) == 0:  # fewer beats than a bar: the likeliest downbeat
        downbeat_indices = np.array([int(np.argmax(log_down - log_other))])
    meter_of_bar = np.array([states[k][0] for k in path[downbeat_indices]], dtype=np.int64)
    counts = [int((meter_of_bar == meter).sum()) for meter in meters]
    return meters[int(np.argmax(counts))], downbeat_indices
