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
