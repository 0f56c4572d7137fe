"""MotionBeat's training losses (arXiv 2510.13244, as reconstructed in DESIGN.md §4).

- ECL, the Embodied Contrastive Loss: symmetric InfoNCE (CLIP; Radford et al. 2021) between
  music and motion clip embeddings with a learned temperature, plus extra negatives per anchor:
  tempo-aware (the same music time-stretched) for motion anchors and beat-jitter (the paired
  motion shifted by a half or whole beat) for music anchors.
- SRAL, the Structural Rhythm Alignment Loss: at beat level the soft-DTW divergence (Cuturi &
  Blondel 2017; divergence form, Blondel, Mensch & Vert 2021) between the music's onset
  envelope and the motion's contact pulse; at bar level the 1-D earth mover's distance between
  the per-bar distributions of accent mass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

FAR = 1e10  # stands for an unreachable cell; finite, so no inf reaches a gradient
MAX_LOGIT_SCALE = 100.0  # CLIP clamps its temperature at 1/100


def embodied_contrastive_loss(
    audio: torch.Tensor,
    motion: torch.Tensor,
    logit_scale: torch.Tensor,
    motion_negatives: torch.Tensor | None = None,
    audio_negatives: torch.Tensor | None = None,
) -> torch.Tensor:
    """ECL over a batch of paired clip embeddings.

    audio, motion : (B, E) L2-normalised, row i of each a true pair
    logit_scale : scalar, log of the inverse temperature
    motion_negatives : (B, K, E) extra negatives for each audio anchor (beat-jittered motion)
    audio_negatives : (B, K', E) extra negatives for each motion anchor (time-stretched music)
    Returns the mean of the audio-to-motion and motion-to-audio cross-entropies.
    """
    scale = logit_scale.exp().clamp(max=MAX_LOGIT_SCALE)
    target = torch.arange(len(audio), device=audio.device)

    def direction(anchor, candidates, extra):
        logits = scale * anchor @ candidates.T
        if extra is not None:
            logits = torch.cat([logits, scale * torch.einsum("be,bke->bk", anchor, extra)], dim=1)
        return F.cross_entropy(logits, target)

    return 0.5 * (
        direction(audio, motion, motion_negatives) + direction(motion, audio, audio_negatives)
    )


def soft_dtw(x: torch.Tensor, y: torch.Tensor, gamma: float) -> torch.Tensor:
    """Soft-DTW (Cuturi & Blondel 2017) of (B, N) and (B, M) sequences, squared-error cost.

    Computed one anti-diagonal at a time, vectorised over the batch. Returns ``(B,)``.
    """
    batch, n = x.shape
    m = y.shape[1]
    cost = (x[:, :, None] - y[:, None, :]) ** 2
    i = torch.arange(n + 1, device=x.device)
    far = torch.full((batch, n + 1), FAR, dtype=x.dtype, device=x.device)
    before_last = torch.where(i == 0, torch.zeros_like(far), far)  # diagonal 0: R[0, 0] = 0
    last = far  # diagonal 1: R[0, 1] and R[1, 0] are unreachable
    for d in range(2, n + m + 1):
        j = d - i
        valid = (i >= 1) & (i <= n) & (j >= 1) & (j <= m)
        step = cost[:, (i - 1).clamp(0, n - 1), (j - 1).clamp(0, m - 1)]
        shifted = lambda r: torch.cat([far[:, :1], r[:, :-1]], dim=1)  # noqa: E731 (r[i-1])
        options = torch.stack([shifted(before_last), shifted(last), last], dim=-1)
        soft_min = -gamma * torch.logsumexp(-options / gamma, dim=-1)
        before_last, last = last, torch.where(valid, step + soft_min, far)
    return last[:, n]


def soft_dtw_divergence(x: torch.Tensor, y: torch.Tensor, gamma: float = 0.1) -> torch.Tensor:
    """sdtw(x, y) - (sdtw(x, x) + sdtw(y, y)) / 2: zero for identical sequences. Returns (B,)."""
    return soft_dtw(x, y, gamma) - 0.5 * (soft_dtw(x, x, gamma) + soft_dtw(y, y, gamma))


def bar_accent_distance(
    audio: torch.Tensor, motion: torch.Tensor, epsilon: float = 1e-3
) -> torch.Tensor:
    """1-D earth mover's distance between per-bar accent distributions.

    audio, motion : (B, bars, L) non-negative accent mass at L positions within each bar.
    Each bar is normalised to a distribution (with ``epsilon`` spread evenly, so a silent bar is
    uniform); W1 in 1-D is the L1 distance of the CDFs, positions scaled to [0, 1]. Returns (B,).
    """

    def cdf(mass):
        mass = mass + epsilon
        return torch.cumsum(mass / mass.sum(dim=-1, keepdim=True), dim=-1)

    return (cdf(audio) - cdf(motion)).abs().sum(dim=-1).mean(dim=-1) / audio.shape[-1]


def structural_rhythm_alignment_loss(
    onset: torch.Tensor, contact: torch.Tensor, beats_per_bar: int, gamma: float = 0.1
) -> torch.Tensor:
    """SRAL for a batch of clips of whole bars.

    onset : (B, N, S) music onset envelope in [0, 1]; contact : (B, N, S) motion contact pulse in
    [0, 1]; N a multiple of ``beats_per_bar``. Returns the batch mean of the beat-level soft-DTW
    divergence plus the bar-level accent distance.

    The soft-DTW runs within each bar (bars batched together): beat-level misalignment is local,
    and the dynamic programme's cost grows with the square of the sequence length.
    """
    batch, n, steps = onset.shape
    bars = (batch, n // beats_per_bar, beats_per_bar * steps)
    onset_bars, contact_bars = onset.reshape(bars), contact.reshape(bars)
    beat_level = soft_dtw_divergence(onset_bars.flatten(0, 1), contact_bars.flatten(0, 1), gamma)
    bar_level = bar_accent_distance(onset_bars, contact_bars)
    return (beat_level.view(batch, -1).mean(dim=-1) + bar_level).mean()
