import numpy as np

from core.body.contacts import detect_foot_contacts
from core.body.skeleton import FOOT_JOINTS, forward_kinematics


def standing_joints(n=30):
    trans = np.tile([0.0, 0.95, 0.0], (n, 1))
    return forward_kinematics(np.zeros((n, 24, 3)), trans)[0]


def test_still_feet_on_the_floor_are_in_contact():
    assert detect_foot_contacts(standing_joints(), 30).all()


def test_sliding_foot_is_not_in_contact():
    joints = standing_joints()
    joints[:, FOOT_JOINTS[0], 0] += np.arange(30) * 0.05  # left ankle slides 1.5 m/s
    contacts = detect_foot_contacts(joints, 30)
    assert not contacts[:, 0].any() and contacts[:, 1:].all()


def test_still_foot_held_in_the_air_is_not_in_contact():
    joints = standing_joints()
    joints[15:, FOOT_JOINTS[3], 1] += 0.3  # right foot joint lifted and held still
    contacts = detect_foot_contacts(joints, 30)
    assert contacts[:14, 3].all() and not contacts[15:, 3].any()
