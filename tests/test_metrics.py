import numpy as np
import pytest

from core.body.skeleton import FOOT_JOINTS
from core.metrics import (
    beat_align_score,
    beat_hit_rate,
    diversity,
    foot_skate,
    geometric_features,
    kinematic_beats,
    kinetic_features,
    local_maxima,
    physical_foot_contact,
)


def pulsing_joints(stop_frames, n=120):
    """Joints that move up and down and stop exactly at ``stop_frames``."""
    t = np.arange(n, dtype=float)
    height = np.zeros(n)
    for k, (a, b) in enumerate(zip(stop_frames[:-1], stop_frames[1:], strict=True)):
        inside = (t >= a) & (t <= b)
        height[inside] = k + 0.5 - 0.5 * np.cos(np.pi * (t[inside] - a) / (b - a))
    height[t > stop_frames[-1]] = len(stop_frames) - 1
    joints = np.zeros((n, 24, 3))
    joints[..., 1] = height[:, None] * 0.1
    return joints


# Uneven intervals, as between real beats: a motion exactly symmetric about a stop has two equal
# smoothed speeds around it (Bailando's speed i spans frames i to i+1), so no strict minimum.
STOPS = np.array([10, 27, 50, 67, 90, 107])


def test_kinematic_beats_fall_where_the_motion_stops():
    stops = STOPS
    beats = kinematic_beats(pulsing_joints(stops))
    for stop in stops[1:-1]:
        assert np.min(np.abs(beats - stop)) <= 2  # smoothing shifts minima by up to 2 frames


def test_bas_is_one_on_the_beat_and_falls_with_distance():
    joints = pulsing_joints(STOPS)
    motion_beats = kinematic_beats(joints)
    on_beat = motion_beats[1:-1] / 30.0
    assert beat_align_score(joints, 30, on_beat) == pytest.approx(1.0)
    assert beat_align_score(joints, 30, on_beat + 3 / 30.0) == pytest.approx(np.exp(-0.5), rel=1e-6)
    assert beat_hit_rate(joints, 30, on_beat + 2 / 30.0) == 1.0
    assert beat_hit_rate(joints, 30, on_beat + 4 / 30.0) == 0.0


def test_pfc_is_zero_without_root_acceleration_and_positive_with_sliding_feet():
    n = 60
    joints = np.zeros((n, 24, 3))
    joints[:, :, 0] = np.arange(n)[:, None] * 0.01  # everything glides at constant speed
    assert physical_foot_contact(joints, 30) == 0.0
    joints[:, 0, 0] += 0.02 * np.sin(np.arange(n) / 3.0)  # root accelerates, feet still slide
    assert physical_foot_contact(joints, 30) > 0.0


def test_foot_skate_is_the_contact_speed_in_cm_per_s():
    n = 31
    joints = np.zeros((n, 24, 3))
    joints[:, FOOT_JOINTS[0], 2] = np.arange(n) * 0.002  # 2 mm a frame at 30 fps = 6 cm/s
    contacts = np.zeros((n, 4))
    contacts[:, 0] = 1
    assert foot_skate(joints, contacts, 30) == pytest.approx(6.0)
    assert foot_skate(joints, np.zeros((n, 4)), 30) == 0.0


def test_motion_figures_have_their_known_answers():
    """A still pose holds every frame; a pelvis sliding 1 m/s travels 60 m a minute; hips
    turning once a second make 60 turns a minute; a set is at distance 0 from itself."""
    from core.body.skeleton import rest_joint_positions
    from core.metrics import (
        diagonal_frechet_distance,
        hold_share,
        mean_joint_speed,
        travel_per_minute,
        turns_per_minute,
    )

    fps, n = 30.0, 300
    still = np.repeat(rest_joint_positions()[None], n, axis=0)
    assert hold_share(still, fps) == 1.0 and mean_joint_speed(still, fps) == 0.0
    assert travel_per_minute(still, fps) == 0.0 and turns_per_minute(still, fps) == 0.0
    sliding = still + (np.arange(n) / fps)[:, None, None] * np.array([1.0, 0.0, 0.0])
    assert travel_per_minute(sliding, fps) == pytest.approx(60.0, rel=0.01)  # n frames, n-1 steps
    assert hold_share(sliding, fps) == 0.0 and mean_joint_speed(sliding, fps) == pytest.approx(1)
    angle = 2 * np.pi * np.arange(n) / fps  # one turn a second about +Y
    c, s = np.cos(angle), np.sin(angle)
    turn = np.stack([np.stack([c, 0 * c, s], -1), [[0, 1, 0]] * n, np.stack([-s, 0 * c, c], -1)], 1)
    spinning = np.einsum("tij,kj->tki", turn, rest_joint_positions())
    assert turns_per_minute(spinning, fps) == pytest.approx(60.0, rel=0.02)
    features = np.random.default_rng(0).normal(size=(20, 5))
    assert diagonal_frechet_distance(features, features) == 0.0
    assert diagonal_frechet_distance(features + 1.0, features) > 1.0


def test_local_maxima_are_scipy_s_find_peaks_including_plateaus():
    from scipy.signal import find_peaks

    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 3, 7, 200):
        for _ in range(50):
            for x in (rng.integers(0, 3, n).astype(float), rng.normal(size=n)):
                np.testing.assert_array_equal(local_maxima(x), find_peaks(x)[0])


def test_a_still_body_has_no_kinetic_energy_and_a_steady_glide_only_horizontal():
    still = np.zeros((50, 24, 3))
    np.testing.assert_array_equal(kinetic_features(still, 30.0), 0.0)
    glide = still.copy()
    glide[..., 0] = np.arange(50)[:, None] / 30.0  # 1 m/s along x, no acceleration
    features = kinetic_features(glide, 30.0).reshape(24, 3)
    np.testing.assert_allclose(features[:, 0], 0.5)  # (1 m/s)^2 / 2
    np.testing.assert_allclose(features[:, 1:], 0.0, atol=1e-9)


def test_geometric_features_are_shares_of_frames():
    from core.body.skeleton import JOINT_INDEX, forward_kinematics

    joints, _ = forward_kinematics(np.zeros((10, 24, 3)), np.zeros((10, 3)))
    raised = joints.copy()
    raised[5:, JOINT_INDEX["left_wrist"], 1] += 1.0  # above the head in half the frames
    rest, half = geometric_features(joints), geometric_features(raised)
    assert rest.shape == (16,) and rest[0] == 0.0 and half[0] == 0.5
    assert np.all((0 <= half) & (half <= 1))


def test_diversity_is_zero_for_identical_dances_and_grows_with_their_spread():
    same = np.ones((4, 3))
    assert diversity(same) == 0.0 and diversity(same[:1]) == 0.0
    features = np.array([[0.0], [1.0]])
    reference = np.array([[0.0], [2.0]])  # deviation 1: the two are one standard unit apart
    assert diversity(features, reference) == pytest.approx(1.0, rel=1e-6)
    assert diversity(2 * features, reference) == pytest.approx(2.0, rel=1e-6)


def test_a_perfect_beat_estimate_scores_one_and_a_shifted_one_less():
    from core.beats.beat_track import BeatTrack
    from training.beats.evaluate import scores

    beats = np.arange(6.0, 60.0, 0.5)
    entry = {"beats": beats.tolist(), "downbeats": beats[::4].tolist(), "beats_per_bar": 4}
    perfect = scores(BeatTrack(beats, 4, 0, "given"), entry)
    assert perfect["beat_f"] == 1.0 and perfect["downbeat_f"] == 1.0 and perfect["meter_acc"] == 1
    assert perfect["tempo_acc"] == 1.0 and perfect["cmlt"] == 1.0
    off_beat = scores(BeatTrack(beats + 0.25, 4, 1, "given"), entry)
    assert off_beat["beat_f"] == 0.0 and off_beat["downbeat_f"] == 0.0


def _accented_dance(hit_beats: np.ndarray, beats: np.ndarray, fps: float, n: int) -> np.ndarray:
    """Joints gliding at 1 m/s that brake to a stop onto each of ``hit_beats`` (seconds)."""
    t = np.arange(n) / fps
    speed = np.ones(n)
    for beat in hit_beats:
        near = np.abs(t - beat) < 0.2
        speed[near] = np.abs(t[near] - beat) / 0.2
    joints = np.zeros((n, 24, 3))
    joints[..., 0] = (np.cumsum(speed) / fps)[:, None]
    return joints


def test_accent_alignment_is_high_where_the_dance_hits_the_accented_beats():
    from core.metrics import accent_alignment

    fps, rate = 30.0, 100.0
    beats = np.arange(0.5, 40.0, 0.5)
    downbeats = beats[::4]
    rng = np.random.default_rng(0)
    accented = np.zeros(len(beats), bool)
    accented[::4] = accented[2::4] = True  # beats 1 and 3 of every bar
    accented ^= rng.random(len(beats)) < 0.15  # and here and there another
    onset = np.zeros(int(41 * rate))
    onset[np.rint(beats * rate).astype(int)] = np.where(accented, 1.0, 0.2)
    n = int(40.5 * fps)
    args = (fps, beats, downbeats, onset, rate)
    on = accent_alignment(_accented_dance(beats[accented], beats, fps, n), *args)
    off = accent_alignment(_accented_dance(beats[~accented], beats, fps, n), *args)
    assert on > 0.8 and off < -0.8
    assert accent_alignment(np.zeros((n, 24, 3)), *args) == 0.0
