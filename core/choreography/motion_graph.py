"""The library choreographer: library segments chosen by MotionBeat and stitched into one dance.

After ChoreoMaster (Chen et al., SIGGRAPH 2021) and motion graphs (Kovar, Gleicher and Pighin,
SIGGRAPH 2002): a learned music-dance embedding picks segments of captured takes, a search over
the graph of their transitions strings them together, and the result is cleaned up.

1. Bars: the song's beats extended to whole bars of its meter (``bar_grid``); in 3/4 each
   segment is cut at its third beat (``MotionLibrary.in_bars_of``). Each bar gets the
   MotionBeat music embedding of the bar it falls in and its loudness rank.
2. Choice: a segment's cost in a bar is minus the cosine of the bar's music embedding and the
   segment's motion embedding, plus how far the segment's energy rank sits from the bar's
   loudness (shifted by ``energy``), plus how much the segment must be time-warped to fill the
   bar (a capture keeps its natural speed: past ``MAX_WARP`` it is a last resort), plus style
   preferences, plus seeded Gumbel noise scaled by ``diversity``. A beam search over bars adds
   the transition cost: nothing where a segment goes on where the last one stops in its take
   (the capture itself), else root-relative pose and velocity distance, pace, a penalty for an
   immediate repeat and for each earlier use; and it keeps the dancer on a stage of
   ``stage_radius``, tracking where each path has taken the dancer.
3. Assembly: each segment is time-warped so its beats land on the bar's beats, placed where
   and facing how the previous one ended, and the jumps in pose and in velocity at a bar line
   are shared out over the beat before and the beat after it (inertialisation by offset
   blending, Bollo 2016), so the dance crosses the line without a snap and plays each segment
   as captured on the beats either side.
4. Feet: during each contact of the capture the ankle is locked where it landed, by two-bone
   IK, easing in and out over a few frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from core.analysis import SongAnalysis
from core.body.motion import DEFAULT_FPS, Motion
from core.choreography.bars import bar_grid, bar_loudness, rank_shares
from core.choreography.library import MotionLibrary
from core.choreography.stitching import (
    ACCENT,
    MAX_WARP,
    assemble,
    lock_feet,
    metrical_accents,
)
from core.model.embedding import SongEmbedding

# The weights of a segment's cost in a bar and of a transition, in units of the music-motion
# cosine. Chosen by hand, on the rendered dances and benchmarks/dance_quality.py (BAS, holds,
# travel), not fitted: a tuned set would fit the shared songs, not the held-back ones.
SIMILARITY_WEIGHT = 1.0
ENERGY_WEIGHT = 0.6  # per unit of rank between a bar's loudness and a segment's energy
POSE_WEIGHT = 4.0  # per metre of mean joint distance at the bar line
VELOCITY_WEIGHT = 0.5  # per m/s of mean joint velocity difference at the bar line
PACE_WEIGHT = 1.0  # per mean segment energy of difference in energy across a bar line
REPEAT_PENALTY = 2.0  # the same segment twice running
USE_PENALTY = 0.3  # each earlier use of a segment in the song
PREFER_BONUS = 0.5  # a segment with a preferred tag
# The beam's size (chosen by hand: wider costs time linearly).
CANDIDATES = 24  # segments per bar the beam considers, besides each path's continuation
BEAM_WIDTH = 8
WARP_WEIGHT = 2.0  # per unit of |log warp| inside the window (chosen by hand)
OUTSIDE_WARP = 10.0  # above any other cost of a bar: fitting segments always come first
STAGE_RADIUS_M = 2.0  # the default floor the dancer keeps to, around where it starts
STAGE_WEIGHT = 2.0  # per metre beyond the stage's edge where a bar ends (chosen by hand)
STOP_BONUS = 0.15  # per kinematic beat a segment holds: stops are what lands on the beat
IN_PLACE_SECONDS = 1.0  # dancing in place removes root travel slower than this (a Gaussian)
# Every choice compares costs as integer multiples of this step (see ``quantised``). Float32
# round-off of the embeddings moves a cosine by about 1e-6 (7e-7 measured between numpy 1.26
# and 2.4), a thousandth of a step; smaller differences do not change how a dance looks
# (chosen by hand).
COST_STEP = 1e-3
AVOIDED = 2**40  # the quantised cost of a segment the controls rule out: above any real total


@dataclass(frozen=True)
class Controls:
    """seed : the same seed gives the same dance; diversity : 0 (the best-scoring dance) to 1
    (much variety between seeds); energy : -1 (calmer) to 1 (livelier) than the music suggests;
    prefer, avoid : style tags (a move name, "procedural", "salsa", "calm", ...);
    stage_radius : metres of floor around the start the dancer keeps to; in_place : remove the
    root's travel (the dancer's turns and sway stay); accent : 0 (the capture's own timing
    within each beat) to 0.9, how much the dancer slows into the strong beats and hurries
    between them (``core.choreography.stitching.accent_warp``)."""

    seed: int = 0
    diversity: float = 0.3
    energy: float = 0.0
    prefer: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    stage_radius: float = STAGE_RADIUS_M
    in_place: bool = False
    accent: float = ACCENT


def _bar_music_embeddings(embedding: SongEmbedding, bar_starts: np.ndarray) -> np.ndarray:
    """The song's bar embedding nearest in time to each grid bar: (n_bars, E)."""
    nearest = np.abs(embedding.bar_times[None, :] - bar_starts[:, None]).argmin(axis=1)
    return embedding.bars[nearest]


def quantised(costs: np.ndarray) -> np.ndarray:
    """Costs (float64) as int64 multiples of ``COST_STEP``, so that every later comparison and
    sum is exact and the same on any CPU and numpy: round-off can move a cost across a step
    boundary only when it lies within round-off of one."""
    return np.rint(np.asarray(costs, dtype=np.float64) / COST_STEP).astype(np.int64)


def cosine_similarities(music: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """(n_bars, S) float64 dot products of unit music embeddings (n_bars, E) and segment
    embeddings (S, E), both float32.

    Products of float32 values are exact in float64, and the sums are numpy's own pairwise
    sums, not a BLAS product, whose order of summation depends on the BLAS build and the CPU.
    """
    segments = np.asarray(segments, dtype=np.float64)
    music = np.asarray(music, dtype=np.float64)
    return np.stack([(segments * bar).sum(axis=1) for bar in music]).reshape(len(music), -1)


class TransitionCosts:
    """The cost (``quantised``) of following one segment by others, computed when the search
    asks: nothing where a candidate continues the segment in its take, else pose and velocity
    distance and pace at the bar line, and ``REPEAT_PENALTY`` for the segment itself."""

    def __init__(self, library: MotionLibrary):
        self.boundary = library.boundary_joints  # (S, 4, 24, 3)
        self.follows = library.follows
        energy = library.energy.astype(np.float64)
        self.pace = energy / energy.mean()

    def __call__(self, previous: int, candidates: np.ndarray) -> np.ndarray:
        end, end_velocity = self.boundary[previous, 2:].astype(np.float64)
        start = self.boundary[candidates, 0].astype(np.float64)
        start_velocity = self.boundary[candidates, 1].astype(np.float64)
        pose = np.linalg.norm(start - end, axis=-1).mean(axis=-1)
        velocity = np.linalg.norm(start_velocity - end_velocity, axis=-1)
        # A change of pace across a bar line tilts the smoothed kinetic velocity there, and a
        # tilt has no minimum: the downbeat's kinematic beat would move a beat away.
        pace = np.abs(self.pace[candidates] - self.pace[previous])
        costs = POSE_WEIGHT * pose + VELOCITY_WEIGHT * velocity.mean(axis=-1) + PACE_WEIGHT * pace
        costs = costs + REPEAT_PENALTY * (candidates == previous)
        costs[candidates == self.follows[previous]] = 0.0
        return quantised(costs)


def choose_segments(
    unary: np.ndarray,
    transition: Callable[[int, np.ndarray], np.ndarray],
    beam_width: int = BEAM_WIDTH,
    placement: tuple[np.ndarray, np.ndarray] | None = None,
    stage_radius: float = STAGE_RADIUS_M,
    follows: np.ndarray | None = None,
) -> list[int]:
    """A segment per bar by beam search: unary (n_bars, S) plus ``transition(previous,
    candidates)`` plus ``USE_PENALTY`` per earlier use of the same segment, all int64
    ``quantised`` costs.

    placement : (displacement (S, 2) metres, turn (S,) radians) of each segment in its own
    start frame (``MotionLibrary.placement``): the beam then tracks where each path has taken
    the dancer and adds ``STAGE_WEIGHT`` per metre beyond ``stage_radius`` at each bar's end.
    follows : (S,) each segment's continuation in its take, or -1: a path may always go on.
    Sums of integers are exact, and ties go to the lower segment index (then to the earlier
    beam), so the plan is the same wherever the costs are.
    """
    use_penalty = int(quantised(USE_PENALTY))
    # (cost, path, uses, x, z, heading): where the path has taken the dancer, facing where.
    beams: list[tuple[int, list[int], dict[int, int], float, float, float]] = [
        (0, [], {}, 0.0, 0.0, 0.0)
    ]
    for bar in range(len(unary)):
        best = np.argsort(unary[bar], kind="stable")[:CANDIDATES]
        grown = []
        for cost, path, uses, x, z, heading in beams:
            candidates = best
            if path and follows is not None and follows[path[-1]] >= 0:
                candidates = np.union1d(best, follows[path[-1]])
            steps = unary[bar, candidates] + use_penalty * np.array(
                [uses.get(s, 0) for s in candidates.tolist()], dtype=np.int64
            )
            if path:
                steps = steps + transition(path[-1], candidates)
            ends = [(x, z, heading)] * len(candidates)
            if placement is not None:
                step, turn = placement[0][candidates], placement[1][candidates]
                cos, sin = np.cos(heading), np.sin(heading)
                end_x = x + cos * step[:, 0] + sin * step[:, 1]
                end_z = z - sin * step[:, 0] + cos * step[:, 1]
                beyond = np.maximum(0.0, np.hypot(end_x, end_z) - stage_radius)
                steps = steps + quantised(STAGE_WEIGHT * beyond)
                ends = list(
                    zip(end_x.tolist(), end_z.tolist(), (heading + turn).tolist(), strict=True)
                )
            for s, c, end in zip(candidates.tolist(), steps.tolist(), ends, strict=True):
                grown.append((cost + c, path, uses, s, end))
        grown.sort(key=lambda entry: entry[0])  # stable: equal costs keep their order
        beams = [
            (cost, [*path, s], {**uses, s: uses.get(s, 0) + 1}, *end)
            for cost, path, uses, s, end in grown[:beam_width]
        ]
    return beams[0][1]


# How much the music's own accents (``core.choreography.bars.beat_accents``) move the meter's
# strong and weak beats in the beat accent. Chosen by hand on every third shared song
# (benchmarks/dance_quality.py gives the full table): accent alignment -0.01 / 0.10 /
# 0.19 / 0.20 at weights 0 / 1 / 2 / 3, BAS 0.40 / 0.38 / 0.37 / 0.37, downbeat hit 0.58 /
# 0.56 / 0.56 / 0.56; past 2 little changes.
MUSIC_ACCENT_WEIGHT = 2.0


def beat_strengths(song: SongAnalysis) -> np.ndarray:
    """(n_bars, B + 1) the beat accent's strength at each bar's beat boundaries, in [-1, 1]:
    the meter's (``metrical_accents``) plus ``MUSIC_ACCENT_WEIGHT`` times the music's
    (``BarGrid.accents``), clipped, and the bar lines always +1. So the dancer brakes into
    every downbeat, into the other beats as hard as the music hits them, and passes fastest
    through weak beats the music leaves unmarked."""
    grid = bar_grid(song.beat_track, *song.music)
    music = grid.per_bar(grid.accents)
    strengths = np.clip(
        metrical_accents(grid.beats_per_bar)[None, :] + MUSIC_ACCENT_WEIGHT * music, -1, 1
    )
    strengths[:, [0, -1]] = 1.0  # the bar lines: downbeat hits are what an eye counts first
    return strengths


def plan_segments(
    song: SongAnalysis,
    embedding: SongEmbedding,
    library: MotionLibrary,
    controls: Controls = Controls(),
) -> tuple[list[int], np.ndarray]:
    """The library segment of every bar, and the bars' beat boundaries ``(n_bars, B + 1)``
    seconds, B the song's beats per bar (``library.in_bars_of`` B: a 3/4 song in bars of three).

    Segments tagged with any of ``controls.avoid`` are never chosen, unless all are. Costs are
    computed in float64 from the float32 embeddings and loudness, then ``quantised``; ranks
    are ``rank_shares``. The same song and seed give the same plan on any CPU, BLAS or numpy.
    """
    grid = bar_grid(song.beat_track, *song.music)
    bar_beats = grid.per_bar(grid.beat_times)
    library = library.in_bars_of(grid.beats_per_bar)
    music = _bar_music_embeddings(embedding, bar_beats[:, 0])
    unary = -SIMILARITY_WEIGHT * cosine_similarities(music, library.embeddings)
    if song.loudness is not None and song.loudness_times is not None:
        loudness = bar_loudness(song.loudness, song.loudness_times, grid) + controls.energy
        energy = rank_shares(library.energy)
        unary += ENERGY_WEIGHT * np.abs(np.clip(loudness, 0, 1)[:, None] - energy)
    tags = library.tag_sets
    prefer = np.array([bool(t & set(controls.prefer)) for t in tags])
    avoid = np.array([bool(t & set(controls.avoid)) for t in tags])
    unary -= PREFER_BONUS * prefer[None, :]
    unary += warp_costs(warp_factors(library, bar_beats))
    unary -= STOP_BONUS * library.stops_per_segment[None, :]
    rng = np.random.default_rng(controls.seed)
    unary = quantised(unary + controls.diversity * rng.gumbel(size=unary.shape))
    if not avoid.all():
        unary[:, avoid] = AVOIDED
    plan = choose_segments(
        unary,
        TransitionCosts(library),
        placement=library.placement,
        stage_radius=controls.stage_radius,
        follows=library.follows,
    )
    return plan, bar_beats


def warp_factors(library: MotionLibrary, bar_beats: np.ndarray) -> np.ndarray:
    """(n_bars, S) how much each segment is slowed down to fill each bar: the bar's length over
    the segment's (1 is the capture's own speed). bar_beats : (n_bars, B + 1) seconds."""
    return (bar_beats[:, -1] - bar_beats[:, 0])[:, None] / library.beats[None, :, -1]


def warp_costs(warp: np.ndarray) -> np.ndarray:
    """``WARP_WEIGHT`` per unit of |log warp|, plus ``OUTSIDE_WARP`` beyond ``MAX_WARP``."""
    stretch = np.abs(np.log(warp))
    return WARP_WEIGHT * stretch + OUTSIDE_WARP * (stretch > np.log(MAX_WARP))


def choreograph_from_library(
    song: SongAnalysis,
    embedding: SongEmbedding,
    library: MotionLibrary,
    fps: float = DEFAULT_FPS,
    controls: Controls = Controls(),
) -> Motion:
    """A dance for an analysed and embedded song from a motion library.

    Returns a Motion of ``ceil(duration * fps)`` frames with foot contacts and the song's beats.
    """
    segments, bar_beats = plan_segments(song, embedding, library, controls)
    library = library.in_bars_of(song.beat_track.beats_per_bar)  # as planned
    times = song.dance_times(fps)
    poses, trans, contacts = assemble(
        library, segments, bar_beats, times, controls.accent, beat_strengths(song)
    )
    if controls.in_place:
        drift = gaussian_filter1d(trans[:, [0, 2]], IN_PLACE_SECONDS * fps, axis=0, mode="nearest")
        trans[:, [0, 2]] -= drift
    return Motion(
        poses=lock_feet(poses, trans, contacts),
        trans=trans,
        fps=fps,
        contacts=contacts,
        beats=song.beat_track.beats,
        downbeats=song.beat_track.downbeats,
    )
