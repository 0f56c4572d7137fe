import numpy as np
from scipy.spatial.transform import Rotation

from core.body.leg_ik import solve_leg
from core.body.skeleton import JOINT_INDEX, REST_OFFSETS

HIP, KNEE, ANKLE = (JOINT_INDEX[n] for n in ("left_hip", "left_knee", "left_ankle"))


def test_ankle_lands_on_every_reachable_target_with_the_wanted_foot_rotation():
    rng = np.random.default_rng(0)
    n = 200
    pelvis = Rotation.from_euler("xyz", rng.uniform(-0.3, 0.3, (n, 3))).as_matrix()
    hip = rng.normal(0, 0.5, (n, 3))
    direction = rng.normal(0, 1, (n, 3)) * [0.4, 1.0, 0.4] - [0, 2.0, 0]
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    target = hip + direction * rng.uniform(0.3, 0.78, (n, 1))  # reach is 0.818 m
    foot = Rotation.from_euler("y", rng.uniform(-1, 1, (n, 1))).as_matrix()
    pole = foot @ [0.0, 0.0, 1.0]
    hip_l, knee_l, ankle_l = solve_leg(
        hip, pelvis, target, foot, pole, REST_OFFSETS[KNEE], REST_OFFSETS[ANKLE]
    )
    hip_g = pelvis @ hip_l
    knee_pos = hip + np.einsum("tij,j->ti", hip_g, REST_OFFSETS[KNEE])
    ankle_pos = knee_pos + np.einsum("tij,j->ti", hip_g @ knee_l, REST_OFFSETS[ANKLE])
    np.testing.assert_allclose(ankle_pos, target, atol=1e-9)
    np.testing.assert_allclose(hip_g @ knee_l @ ankle_l, foot, atol=1e-9)
    # The knee bends forwards: it sits ahead of the hip-ankle line, towards the pole.
    along = (
        np.einsum("ti,ti->t", knee_pos - hip, target - hip)
        / np.linalg.norm(target - hip, axis=1) ** 2
    )
    off_line = knee_pos - (hip + along[:, None] * (target - hip))
    assert np.all(np.einsum("ti,ti->t", off_line, pole) > 0)
