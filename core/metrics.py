"""Dance metrics, each implemented once here with its source.

All take global joint positions ``joints`` (T, 24, 3) in metres, Y-up, at ``fps`` frames per
second; music beats are in seconds.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from core.body.skeleton import FOOT_JOINTS, JOINT_NAMES

KINETIC_SMOOTHING_FRAMES = 5  # Bailando, utils/beat_align_score.py: G(kinetic_vel, 5)
BAS_SIGMA_FRAMES = 3  # Bailando, utils/beat_align_score.py: exp(-d^2 / (2 * 9))
BEAT_HIT_TOLERANCE_FRAMES = 2  # DESIGN.md §7
UP_AXIS = 1  # Y-up; EDGE's eval_pfc.py uses Z-up data with up_dir = 2
# Below this peak root acceleration (m/s^2) a motion has none: normalising round-off by its own
# maximum would otherwise turn a constant-velocity glide into a full-scale PFC.
STILL_ROOT_ACCELERATION = 1e-6


def kinetic_velocity(joints: np.ndarray) -> np.ndarray:
    """Mean joint speed per frame, metres per frame, Gaussian-smoothed (sigma 5 frames).

    Returns ``(T-1,)``; entry i is the motion from frame i to i+1 (Bailando's ``calc_db``).
    """
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(axis=1)
    return gaussian_filter1d(speed, KINETIC_SMOOTHING_FRAMES)


def kinematic_beats(joints: np.ndarray) -> np.ndarray:
    """Frames of the motion's kinematic beats: local minima of the kinetic velocity.

    Returns ``(k,)`` int frame indices. Source: Bailando (Li et al., CVPR 2022), ``calc_db``,
    which takes strict minima (``argrelextrema(v, np.less)``). Here a flat minimum, two or more
    equal speeds, counts once at its middle: motion exactly symmetric about a stop (a steady
    bounce on a beat grid of whole frames) has such ties and would otherwise have no beat.
    """
    return local_maxima(-kinetic_velocity(joints))


def local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices ``(k,)`` int of the local maxima of ``x`` (n,): samples higher than both
    neighbours, a flat run of equal samples counting once at its middle (rounded down), none
    at the ends. The same as ``scipy.signal.find_peaks(x)[0]`` (a test checks it), without
    importing ``scipy.signal``, which alone costs a command 0.9 s."""
    x = np.asarray(x)
    if len(x) < 3:
        return np.zeros(0, dtype=np.intp)
    starts = np.r_[0, np.flatnonzero(np.diff(x) != 0) + 1]  # runs of equal samples
    ends = np.r_[starts[1:], len(x)] - 1
    values = x[starts]
    rises = np.r_[False, values[1:] > values[:-1]]
    falls = np.r_[values[:-1] > values[1:], False]
    peak = rises & falls
    return (starts[peak] + ends[peak]) // 2


def _nearest_distances(music_frames: np.ndarray, motion_frames: np.ndarray) -> np.ndarray:
    if len(motion_frames) == 0:
        return np.full(len(music_frames), np.inf)
    return np.abs(music_frames[:, None] - motion_frames[None, :]).min(axis=1)


def beat_align_score(joints: np.ndarray, fps: float, music_beats: np.ndarray) -> float:
    """BAS: mean over music beats of exp(-d^2 / (2 * 3^2)), d the distance in frames to the
    nearest kinematic beat.

    Source: Bailando, ``utils/beat_align_score.py``. AIST++ ground truth scores 0.2374 at 60 fps.
    Music beats outside the motion are ignored; returns 0.0 when none remain.
    """
    frames = _beats_in_motion(music_beats, fps, len(joints))
    if len(frames) == 0:
        return 0.0
    distance = _nearest_distances(frames, kinematic_beats(joints))
    return float(np.mean(np.exp(-(distance**2) / (2 * BAS_SIGMA_FRAMES**2))))


def beat_hit_rate(
    joints: np.ndarray,
    fps: float,
    music_beats: np.ndarray,
    tolerance_frames: int = BEAT_HIT_TOLERANCE_FRAMES,
) -> float:
    """Share of music beats with a kinematic beat within ``tolerance_frames`` (DESIGN.md §7).

    Pass downbeats as ``music_beats`` for the downbeat hit rate. Returns 0.0 with no beats.
    """
    frames = _beats_in_motion(music_beats, fps, len(joints))
    if len(frames) == 0:
        return 0.0
    distance = _nearest_distances(frames, kinematic_beats(joints))
    return float(np.mean(distance <= tolerance_frames))


def physical_foot_contact(joints: np.ndarray, fps: float) -> float:
    """PFC: mean over frames of (root acceleration / its maximum) times the product of each
    foot's lower horizontal joint speed (metres per frame), times 10^4. Lower is better.

    Source: EDGE (Tseng et al., CVPR 2023), ``eval/eval_pfc.py``; defined there at 30 fps.
    AIST++ ground truth 1.332, EDGE 1.5363, Bailando 1.754.
    """
    dt = 1.0 / fps
    flat = [axis for axis in range(3) if axis != UP_AXIS]
    root_v = np.diff(joints[:, 0], axis=0) / dt
    root_a = np.diff(root_v, axis=0) / dt
    root_a[:, UP_AXIS] = np.maximum(root_a[:, UP_AXIS], 0)  # falling freely is not a fault
    root_a = np.linalg.norm(root_a, axis=-1)
    if len(root_a) == 0 or root_a.max() < STILL_ROOT_ACCELERATION:
        return 0.0
    root_a = root_a / root_a.max()
    feet = joints[:, FOOT_JOINTS][:, :, flat]  # left ankle, left foot, right ankle, right foot
    foot_v = np.linalg.norm(feet[2:] - feet[1:-1], axis=-1)  # (T-2, 4)
    left = np.minimum(foot_v[:, 0], foot_v[:, 1])
    right = np.minimum(foot_v[:, 2], foot_v[:, 3])
    return float(np.mean(left * right * root_a) * 1e4)


def foot_skate(joints: np.ndarray, contacts: np.ndarray, fps: float) -> float:
    """Mean horizontal speed of foot joints over frames labelled as contact, cm/s.

    contacts : (T, 4) labels in the order of ``FOOT_JOINTS``. Returns 0.0 with no contact.
    Source: DESIGN.md §7 (the usual foot-sliding measure of character animation).
    """
    flat = [axis for axis in range(3) if axis != UP_AXIS]
    feet = joints[:, FOOT_JOINTS][:, :, flat]
    speed = np.linalg.norm(np.diff(feet, axis=0), axis=-1) * fps * 100.0  # (T-1, 4) cm/s
    in_contact = contacts[:-1] > 0.5
    if not in_contact.any():
        return 0.0
    return float(speed[in_contact].mean())


def kinetic_features(joints: np.ndarray, fps: float) -> np.ndarray:
    """Per joint: mean horizontal and vertical kinetic energy (per unit mass, (m/s)^2 / 2) and
    mean energy expenditure (|acceleration|, m/s^2): ``(72,)``, joint-major.

    Source: the kinetic features of the AIST++ API (``aist_plusplus/features/kinetic.py``),
    which Bailando's ``utils/metrics_new.py`` uses for Div_k.
    """
    flat = [axis for axis in range(3) if axis != UP_AXIS]
    velocity = np.diff(joints, axis=0) * fps  # (T-1, 24, 3)
    acceleration = np.diff(velocity, axis=0) * fps
    horizontal = 0.5 * np.sum(velocity[..., flat] ** 2, axis=-1).mean(axis=0)
    vertical = 0.5 * (velocity[..., UP_AXIS] ** 2).mean(axis=0)
    expenditure = np.linalg.norm(acceleration, axis=-1).mean(axis=0)
    return np.stack([horizontal, vertical, expenditure], axis=1).reshape(-1)


def geometric_features(joints: np.ndarray) -> np.ndarray:
    """Shares of frames in which each of 16 body relations holds: ``(16,)`` in [0, 1].

    A subset of Müller's relational features ("Efficient content-based retrieval of motion
    capture data", SIGGRAPH 2005) that the AIST++ API's geometric features (Bailando's Div_g)
    are built from: hands above the head, hands in front of the chest, hands apart, hands near
    the hips, feet apart, a foot raised, a foot in front of the other, knees bent, the torso
    bent forward, the body turned (left and right where they apply).
    """
    j = {name: joints[:, i] for i, name in enumerate(JOINT_NAMES)}
    up = UP_AXIS
    shoulder_width = np.linalg.norm(j["left_shoulder"] - j["right_shoulder"], axis=-1)
    forward = np.cross(j["left_hip"] - j["right_hip"], [0.0, 1.0, 0.0])  # facing direction
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True) + 1e-9

    def ahead(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.sum((a - b) * forward, axis=-1)

    def bent(a: str, b: str, c: str) -> np.ndarray:
        u, v = j[a] - j[b], j[c] - j[b]
        cosine = np.sum(u * v, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
        return cosine > np.cos(np.radians(150))  # the angle at b under 150 degrees

    floor = np.minimum(j["left_ankle"][:, up], j["right_ankle"][:, up]).min()
    relations = []
    for side in ("left", "right"):
        relations += [
            j[f"{side}_wrist"][:, up] > j["head"][:, up],
            ahead(j[f"{side}_wrist"], j["spine3"]) > 0.2,
            np.linalg.norm(j[f"{side}_wrist"] - j[f"{side}_hip"], axis=-1) < 0.15,
            j[f"{side}_ankle"][:, up] - floor > 0.15,
            bent(f"{side}_hip", f"{side}_knee", f"{side}_ankle"),
            bent(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"),
        ]
    relations += [
        np.linalg.norm(j["left_wrist"] - j["right_wrist"], axis=-1) > 2 * shoulder_width,
        np.linalg.norm(j["left_ankle"] - j["right_ankle"], axis=-1) > shoulder_width,
        np.abs(ahead(j["left_ankle"], j["right_ankle"])) > 0.2,
        ahead(j["neck"], j["pelvis"]) > 0.15,
    ]
    return np.mean(relations, axis=1)


def diversity(features: np.ndarray, reference: np.ndarray | None = None) -> float:
    """Mean Euclidean distance between every pair of rows of ``features`` (n, d), each feature
    standardised by the mean and deviation of ``reference`` (m, d) rows (default: ``features``).

    Source: Bailando ``utils/metrics_new.py`` (``calculate_avg_distance`` after ``normalize``),
    which standardises by the ground truth's statistics. To compare choreographers, give every
    one the same reference, such as all their dances together. Returns 0.0 for n < 2.
    """
    n = len(features)
    if n < 2:
        return 0.0
    reference = features if reference is None else reference
    z = (features - reference.mean(axis=0)) / (reference.std(axis=0) + 1e-9)
    distances = np.linalg.norm(z[:, None] - z[None, :], axis=-1)
    return float(distances.sum() / (n * (n - 1)))


HOLD_SPEED_M_S = 0.15  # every joint slower than this: the body holds still (issue 18's figure)


def hold_share(joints: np.ndarray, fps: float) -> float:
    """Share of frames in which every joint moves slower than ``HOLD_SPEED_M_S``: a dancer
    frozen in a pose. Real capture holds about 2 % of the time."""
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1) * fps  # (T-1, 24) m/s
    return float((speed.max(axis=1) < HOLD_SPEED_M_S).mean()) if len(speed) else 0.0


def mean_joint_speed(joints: np.ndarray, fps: float) -> float:
    """Mean speed of all joints over all frames, m/s (real dance capture: 0.5 to 1.0)."""
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1) * fps
    return float(speed.mean()) if len(speed) else 0.0


def travel_per_minute(joints: np.ndarray, fps: float) -> float:
    """Distance the pelvis covers over the floor, metres per minute."""
    flat = [axis for axis in range(3) if axis != UP_AXIS]
    steps = np.linalg.norm(np.diff(joints[:, 0][:, flat], axis=0), axis=-1)
    return float(steps.sum() / (len(joints) / fps / 60.0))


def turns_per_minute(joints: np.ndarray, fps: float) -> float:
    """Full turns of the hips about the vertical (the left-to-right hip line's heading,
    unwrapped and summed in either direction), per minute."""
    flat = [axis for axis in range(3) if axis != UP_AXIS]
    across = joints[:, JOINT_NAMES.index("left_hip")] - joints[:, JOINT_NAMES.index("right_hip")]
    heading = np.unwrap(np.arctan2(across[:, flat[1]], across[:, flat[0]]))
    return float(np.abs(np.diff(heading)).sum() / (2 * np.pi) / (len(joints) / fps / 60.0))


def diagonal_frechet_distance(features: np.ndarray, reference: np.ndarray) -> float:
    """Fréchet distance between Gaussians with diagonal covariance fitted to ``features``
    (n, d) and ``reference`` (m, d), each dimension standardised by the reference's deviation:
    sum over dimensions of (mean difference)^2 + (deviation difference)^2.

    The diagonal form of Bailando's FID_k / FID_g (``utils/metrics_new.py``, full covariance),
    which needs far more samples than dimensions; the distance issue 18 reports. Dimensions
    are scaled by the deviation of both sets together; those constant in both are left out
    (a relation that never holds would divide by zero).
    """
    scale = np.concatenate([features, reference]).std(axis=0)
    varies = scale > 1e-9
    a, b = features[:, varies] / scale[varies], reference[:, varies] / scale[varies]
    return float(np.sum((a.mean(0) - b.mean(0)) ** 2 + (a.std(0) - b.std(0)) ** 2))


def _beats_in_motion(beats: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    frames = np.round(np.asarray(beats, dtype=np.float64) * fps)
    return frames[(frames >= 0) & (frames < n_frames)]


def dance_accents(joints: np.ndarray, fps: float, beats: np.ndarray) -> np.ndarray:
    """How hard the dance hits each beat: the drop of its mean joint speed from the half beat
    before the beat into the beat (m/s; positive where the body brakes onto the beat, as a
    dancer's accent does). ``(n,)`` float64 for beats (n,) seconds; joints (T, 24, 3) metres.
    """
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(axis=1) * fps  # (T - 1,)
    if len(speed) == 0 or len(beats) == 0:
        return np.zeros(len(beats))
    half = 0.5 * np.median(np.diff(beats)) if len(beats) > 1 else 0.25
    frames = np.arange(len(speed)) / fps

    def mean_speed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Mean speed over [a, b) seconds, each window at least a frame."""
        first = np.clip(np.searchsorted(frames, a), 0, len(speed) - 1)
        stop = np.clip(np.searchsorted(frames, b), first + 1, len(speed))
        sums = np.r_[0.0, np.cumsum(speed)]
        return (sums[stop] - sums[first]) / (stop - first)

    at_beat = mean_speed(beats - 1.0 / fps, beats + 1.0 / fps)
    return mean_speed(beats - half, beats) - at_beat


def accent_alignment(
    joints: np.ndarray,
    fps: float,
    beats: np.ndarray,
    downbeats: np.ndarray,
    onset: np.ndarray,
    onset_rate: float,
) -> float:
    """Whether the dance hits the beats the music accents: the Pearson correlation, over all
    beats of a song, of the music's onset strength at each beat (the envelope's peak within
    one frame) with the dance's accent there (``dance_accents``), each less its bar's mean,
    so that only accents within a bar count, not louder or livelier sections. In [-1, 1]; 0
    where either has no variation. The product-level reading of the paper's SRAL (MotionBeat,
    arXiv 2510.13244): chance is 0.

    joints (T, 24, 3) metres at ``fps``; beats, downbeats (n,), (m,) seconds; onset (F,) the
    onset envelope at ``onset_rate`` frames per second (``core.model.tokens.onset_envelope``).
    """
    beats = np.asarray(beats, dtype=np.float64)
    beats = beats[(beats > 0) & (beats < (len(joints) - 1) / fps)]
    if len(beats) < 3 or len(onset) == 0:
        return 0.0
    frames = np.clip(np.rint(beats * onset_rate).astype(int), 0, len(onset) - 1)
    music = onset[np.clip(frames[None, :] + np.array([-1, 0, 1])[:, None], 0, len(onset) - 1)]
    music = music.max(axis=0).astype(np.float64)
    dance = dance_accents(joints, fps, beats)
    bar = np.searchsorted(np.asarray(downbeats, dtype=np.float64), beats + 1e-6)
    for values in (music, dance):
        means = np.bincount(bar, weights=values) / np.maximum(np.bincount(bar), 1)
        values -= means[bar]
    spread = np.std(music) * np.std(dance)
    return float(np.mean(music * dance) / spread) if spread > 1e-12 else 0.0


def dance_metrics(
    joints: np.ndarray, contacts: np.ndarray, fps: float, beats: np.ndarray, downbeats: np.ndarray
) -> dict[str, float]:
    """Every metric above for one dance, keyed by a short name."""
    return {
        "bas": beat_align_score(joints, fps, beats),
        "beat_hit_rate": beat_hit_rate(joints, fps, beats),
        "downbeat_hit_rate": beat_hit_rate(joints, fps, downbeats),
        "pfc": physical_foot_contact(joints, fps),
        "foot_skate_cm_s": foot_skate(joints, contacts, fps),
    }
