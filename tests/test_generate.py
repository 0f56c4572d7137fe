"""The main job: several seeds from one analysis give each seed's own dance."""

import numpy as np

from core.generate import generate_dance, generate_dances


def test_dances_of_several_seeds_are_each_seeds_own_dance(demo_song, demo_dance):
    analysis, motions = generate_dances(demo_song, [0, 1], fps=30)
    _, seed_one = generate_dance(demo_song, seed=1, fps=30)
    np.testing.assert_array_equal(analysis.beat_track.beats, demo_dance[0].beat_track.beats)
    for motion, expected in zip(motions, [demo_dance[1], seed_one], strict=True):
        np.testing.assert_array_equal(motion.poses, expected.poses)
        np.testing.assert_array_equal(motion.trans, expected.trans)
    assert not np.array_equal(motions[0].poses, motions[1].poses)
