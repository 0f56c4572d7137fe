"""ECL and SRAL on hand-made cases."""

import torch
import torch.nn.functional as F

from training.encoder.losses import (
    bar_accent_distance,
    embodied_contrastive_loss,
    soft_dtw,
    soft_dtw_divergence,
    structural_rhythm_alignment_loss,
)

SCALE = torch.tensor(2.659)


def unit(*shape, seed=0):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)


def test_aligned_pairs_score_better_than_mismatched_pairs():
    audio = unit(8, 16)
    motion = F.normalize(audio + 0.1 * unit(8, 16, seed=1), dim=-1)
    aligned = embodied_contrastive_loss(audio, motion, SCALE)
    mismatched = embodied_contrastive_loss(audio, motion.roll(1, dims=0), SCALE)
    assert aligned < mismatched


def test_a_jittered_pair_scores_worse_than_the_aligned_one():
    """With its beat-jittered motion as a negative, an aligned pair keeps a low loss when the
    jittered motion is far from the music, and pays when the jitter is as close as the truth."""
    audio = unit(8, 16)
    motion = F.normalize(audio + 0.1 * unit(8, 16, seed=1), dim=-1)
    far_jitter = unit(8, 2, 16, seed=2)
    close_jitter = motion[:, None].expand(-1, 2, -1)
    assert embodied_contrastive_loss(audio, motion, SCALE, motion_negatives=far_jitter) < (
        embodied_contrastive_loss(audio, motion, SCALE, motion_negatives=close_jitter)
    )
    # And the jittered motion as the positive scores worse than the aligned motion.
    assert embodied_contrastive_loss(audio, motion, SCALE, motion_negatives=far_jitter) < (
        embodied_contrastive_loss(audio, far_jitter[:, 0], SCALE, motion_negatives=motion[:, None])
    )


def test_tempo_negatives_enter_the_motion_to_audio_direction():
    audio = unit(4, 16)
    motion = audio.clone()
    stretched_far = unit(4, 2, 16, seed=3)
    stretched_same = audio[:, None].expand(-1, 2, -1)
    assert embodied_contrastive_loss(audio, motion, SCALE, audio_negatives=stretched_far) < (
        embodied_contrastive_loss(audio, motion, SCALE, audio_negatives=stretched_same)
    )


def test_soft_dtw_matches_a_direct_dynamic_programme():
    x, y = torch.rand(1, 5), torch.rand(1, 7)
    gamma = 0.3
    r = torch.full((6, 8), float("inf"))
    r[0, 0] = 0.0
    for i in range(1, 6):
        for j in range(1, 8):
            prev = torch.stack([r[i - 1, j - 1], r[i - 1, j], r[i, j - 1]])
            r[i, j] = (x[0, i - 1] - y[0, j - 1]) ** 2 - gamma * torch.logsumexp(-prev / gamma, 0)
    torch.testing.assert_close(soft_dtw(x, y, gamma)[0], r[5, 7])


def test_identical_accent_sequences_give_zero_sral_and_shifted_ones_more():
    accents = torch.zeros(2, 8, 4)
    accents[:, ::2, 0] = 1.0  # a landing on every other beat
    accents[:, 1::4, 2] = 0.5
    assert structural_rhythm_alignment_loss(accents, accents, 4).abs() < 1e-6
    one_step = structural_rhythm_alignment_loss(accents, accents.roll(1, dims=2), 4)
    two_steps = structural_rhythm_alignment_loss(accents, accents.roll(2, dims=2), 4)
    assert 0 < one_step < two_steps


def test_bar_accent_distance_is_the_shift_of_the_mass():
    a = torch.zeros(1, 1, 10)
    b = torch.zeros(1, 1, 10)
    a[0, 0, 2], b[0, 0, 5] = 1.0, 1.0
    torch.testing.assert_close(bar_accent_distance(a, b, epsilon=0.0), torch.tensor([0.3]))


def test_sral_has_gradients_everywhere():
    onset = torch.rand(2, 8, 4, requires_grad=True)
    contact = torch.rand(2, 8, 4, requires_grad=True)
    structural_rhythm_alignment_loss(onset, contact, 4).backward()
    assert torch.isfinite(onset.grad).all() and onset.grad.abs().sum() > 0
    assert torch.isfinite(contact.grad).all()
    assert soft_dtw_divergence(onset.reshape(2, -1), onset.reshape(2, -1)).abs().max() < 1e-4
