import numpy as np
import pytest

from core.metrics import (
    beat_align_score,
    beat_hit_rate,
    foot_skate,
    kinematic_beats,
    physical_foot_contact,
)
from core.skeleton import FOOT_JOINTS


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
    from core.metrics import (
        diagonal_frechet_distance,
        hold_share,
        mean_joint_speed,
        travel_per_minute,
        turns_per_minute,
    )
    from core.skeleton import rest_joint_positions

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
