"""The evaluation measures on hand-made embeddings."""

import numpy as np

from training.encoder.evaluate import jitter_discrimination, non_overlapping, recall_at_k


def test_recall_counts_the_rank_of_the_true_match():
    queries = np.eye(4)
    gallery = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0], [0, 1.0, 0, 0], [0, 0, 0, 1.0]])
    # Queries 0 and 3 find their match first; 1 and 2 find each other's first, their own second.
    assert recall_at_k(queries, gallery, ks=(1, 2)) == {1: 0.5, 2: 1.0}


def test_jitter_discrimination_is_the_share_of_shifts_scored_below_the_aligned_motion():
    audio = np.array([[1.0, 0.0]])
    motion = np.array([[0.8, 0.6]])
    jitter = np.array([[[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.7, 0.71]]])
    assert jitter_discrimination(audio, motion, jitter) == 0.75


def test_non_overlapping_windows_are_one_window_length_apart_within_each_clip():
    clip_index = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2])
    assert non_overlapping(clip_index, 4).tolist() == [0, 4, 5, 8]
