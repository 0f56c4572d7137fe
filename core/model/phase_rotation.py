"""Bar-equivariant phase rotation of attention queries and keys.

Rotary position embedding (RoPE; Su et al. 2021, "RoFormer") rotates pairs of query/key
channels by an angle that grows with position, so that their dot product depends only on the
difference of positions. MotionBeat (arXiv 2510.13244) puts bar phase phi in [0, 1) in place of
position: pairs rotate by 2*pi*k*phi for harmonics k = 1, 2, 4, so attention depends on phase
differences within the bar. The other half of the pairs rotate by token index (plain RoPE),
which carries order beyond one bar. Both make attention scores invariant when the whole input
moves by a whole bar, so the encoder's outputs move with it.
"""

from __future__ import annotations

import math

import torch


def rotation_angles(
    bar_phase: torch.Tensor, n_pairs: int, harmonics: tuple[int, ...], index_base: float
) -> torch.Tensor:
    """Angles for each channel pair of each token.

    bar_phase : (B, N) in [0, 1). Returns ``(B, N, n_pairs)`` radians: the first half of the
    pairs 2*pi*k*phase with k cycling through ``harmonics``, the rest index * base^(-i/half).
    """
    n_phase = n_pairs // 2
    k = torch.tensor(
        [harmonics[i % len(harmonics)] for i in range(n_phase)],
        dtype=bar_phase.dtype,
        device=bar_phase.device,
    )
    phase_angles = 2 * math.pi * bar_phase[..., None] * k
    n_index = n_pairs - n_phase
    index = torch.arange(bar_phase.shape[1], dtype=bar_phase.dtype, device=bar_phase.device)
    frequencies = index_base ** (
        -torch.arange(n_index, dtype=bar_phase.dtype, device=bar_phase.device) / max(n_index, 1)
    )
    index_angles = (index[:, None] * frequencies).expand(bar_phase.shape[0], -1, -1)
    return torch.cat([phase_angles, index_angles], dim=-1)


def rotate_pairs(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (2i, 2i+1) of ``x`` (B, H, N, D) by ``angles`` (B, N, D/2)."""
    cos, sin = torch.cos(angles)[:, None], torch.sin(angles)[:, None]
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(-2)
