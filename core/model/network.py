"""The MotionBeat encoders: music and motion as beat tokens, embedded into one space.

Structure after arXiv 2510.13244 (constants in ``MotionBeatConfig``): each encoder embeds its
beat tokens, runs pre-norm transformer blocks whose attention rotates queries and keys by bar
phase (``phase_rotation``), pools the tokens by attention and projects them to an L2-normalised
clip embedding. The motion encoder's attention is contact-guided: logits to key j gain
lambda_h * log(eps + c_j), c_j the token's foot-contact pulse and lambda_h learned per head. The
audio encoder needs no motion, so inference runs on music alone. An onset head reads the audio
tokens and a contact head the motion tokens (per sub-beat step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.model.config import MotionBeatConfig
from core.model.numpy_encoder import audio_arrays, model_id
from core.model.phase_rotation import rotate_pairs, rotation_angles
from core.model.tokens import bar_starts


class Attention(nn.Module):
    def __init__(self, config: MotionBeatConfig, contact_guided: bool):
        super().__init__()
        self.heads = config.heads
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.width, 3 * config.width)
        self.out = nn.Linear(config.width, config.width)
        self.contact_epsilon = config.contact_epsilon
        # lambda_h starts small and positive: a mild pull towards keys with foot landings.
        self.contact_scale = (
            nn.Parameter(torch.full((config.heads,), 0.1)) if contact_guided else None
        )

    def forward(
        self,
        x: torch.Tensor,
        angles: torch.Tensor,
        padding: torch.Tensor,
        contact: torch.Tensor | None,
    ) -> torch.Tensor:
        batch, n, width = x.shape
        q, k, v = self.qkv(x).view(batch, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k = rotate_pairs(q, angles), rotate_pairs(k, angles)
        bias = torch.zeros(batch, 1, 1, n, dtype=x.dtype, device=x.device)
        if self.contact_scale is not None and contact is not None:
            guidance = torch.log(self.contact_epsilon + contact.to(x.dtype))
            bias = bias + self.contact_scale.view(1, -1, 1, 1) * guidance[:, None, None, :]
        bias = bias.masked_fill(padding[:, None, None, :], float("-inf"))
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.dropout if self.training else 0.0
        )
        return self.out(out.transpose(1, 2).reshape(batch, n, width))


class Block(nn.Module):
    def __init__(self, config: MotionBeatConfig, contact_guided: bool):
        super().__init__()
        self.norm1 = nn.LayerNorm(config.width)
        self.attention = Attention(config, contact_guided)
        self.norm2 = nn.LayerNorm(config.width)
        self.mlp = nn.Sequential(
            nn.Linear(config.width, 4 * config.width),
            nn.GELU(),
            nn.Linear(4 * config.width, config.width),
            nn.Dropout(config.dropout),
        )

    def forward(self, x, angles, padding, contact):
        x = x + self.attention(self.norm1(x), angles, padding, contact)
        return x + self.mlp(self.norm2(x))


def phase_features(bar_phase: torch.Tensor, harmonics: tuple[int, ...]) -> torch.Tensor:
    """sin and cos of 2*pi*k*phase for each harmonic: (B, N) to (B, N, 2 * len(harmonics))."""
    k = torch.tensor(harmonics, dtype=bar_phase.dtype, device=bar_phase.device)
    angles = 2 * math.pi * bar_phase[..., None] * k
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


class BeatEncoder(nn.Module):
    """Beat tokens (B, N, S, features) to hidden states (B, N, width).

    Rotated attention sees only phase differences, so each token also gets its absolute bar
    phase (where the downbeat is) as a learned embedding of its phase harmonics; a whole-bar shift
    leaves both unchanged.
    """

    def __init__(
        self, config: MotionBeatConfig, in_features: int, layers: int, contact_guided: bool
    ):
        super().__init__()
        self.config = config
        self.embed = nn.Linear(in_features * config.sub_beat_steps, config.width)
        self.phase_embed = nn.Linear(2 * len(config.harmonics), config.width)
        self.blocks = nn.ModuleList(Block(config, contact_guided) for _ in range(layers))
        self.norm = nn.LayerNorm(config.width)

    def forward(self, tokens, bar_phase, padding, contact=None):
        x = self.embed(tokens.flatten(2)) + self.phase_embed(
            phase_features(bar_phase, self.config.harmonics)
        )
        pairs = self.config.width // self.config.heads // 2
        rotated_phase = bar_phase if self.config.phase_rotation else torch.zeros_like(bar_phase)
        angles = rotation_angles(
            rotated_phase, pairs, self.config.harmonics, self.config.index_base
        )
        for block in self.blocks:
            x = block(x, angles, padding, contact)
        return self.norm(x)


class AttentionPooling(nn.Module):
    """A learned query attends over the tokens: (B, N, width) to (B, width)."""

    def __init__(self, width: int):
        super().__init__()
        self.query = nn.Parameter(torch.zeros(width))
        self.key = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        scores = self.key(x) @ self.query / x.shape[-1] ** 0.5
        weights = torch.softmax(scores.masked_fill(padding, float("-inf")), dim=-1)
        return torch.einsum("bn,bnw->bw", weights, x)


def projection(config: MotionBeatConfig) -> nn.Module:
    return nn.Sequential(
        nn.Linear(config.width, config.width), nn.GELU(), nn.Linear(config.width, config.embed_dim)
    )


@dataclass
class Encoded:
    """clip : (B, E) L2-normalised; beats : (B, N, E) L2-normalised per-beat embeddings
    pulse : (B, N, S) logits of the onset envelope (audio) or contact pulse (motion)."""

    clip: torch.Tensor
    beats: torch.Tensor
    pulse: torch.Tensor


class MotionBeat(nn.Module):
    """The music and motion encoders with their heads and the contrastive temperature."""

    def __init__(self, config: MotionBeatConfig):
        super().__init__()
        self.config = config
        self.audio_encoder = BeatEncoder(config, config.audio_features, config.audio_layers, False)
        self.motion_encoder = BeatEncoder(
            config, config.motion_features, config.motion_layers, config.contact_guidance
        )
        self.audio_pool, self.motion_pool = (
            AttentionPooling(config.width),
            AttentionPooling(config.width),
        )
        self.audio_projection, self.motion_projection = projection(config), projection(config)
        self.onset_head = nn.Linear(config.width, config.sub_beat_steps)
        self.contact_head = nn.Linear(config.width, config.sub_beat_steps)
        # CLIP's initial temperature, 0.07, learned as a log scale.
        self.logit_scale = nn.Parameter(torch.tensor(2.659))

    def encode_audio(
        self, mel: torch.Tensor, bar_phase: torch.Tensor, padding: torch.Tensor
    ) -> Encoded:
        """mel : (B, N, S, audio_features) frame features (log-mel for the model); bar_phase :
        (B, N); padding : (B, N) True where padded."""
        hidden = self.audio_encoder(mel, bar_phase, padding)
        return self._heads(hidden, padding, self.audio_pool, self.audio_projection, self.onset_head)

    def encode_motion(
        self,
        features: torch.Tensor,
        contact_pulse: torch.Tensor,
        bar_phase: torch.Tensor,
        padding: torch.Tensor,
    ) -> Encoded:
        """features : (B, N, S, motion_features); contact_pulse : (B, N, S) landings in [0, 1]."""
        hidden = self.motion_encoder(features, bar_phase, padding, contact_pulse.amax(dim=-1))
        return self._heads(
            hidden, padding, self.motion_pool, self.motion_projection, self.contact_head
        )

    @staticmethod
    def _heads(hidden, padding, pool, project, pulse_head) -> Encoded:
        clip = F.normalize(project(pool(hidden, padding)), dim=-1)
        beats = F.normalize(project(hidden), dim=-1)
        return Encoded(clip=clip, beats=beats, pulse=pulse_head(hidden))


def bar_embeddings(beats: torch.Tensor, bar_phase: torch.Tensor) -> torch.Tensor:
    """Per-bar embeddings: the normalised mean of each bar's beat embeddings.

    beats : (N, E) for one song; bar_phase : (N,), bars as ``bar_starts``. Returns
    ``(n_bars, E)``.
    """
    starts = bar_starts(bar_phase)
    ends = [*starts[1:], len(beats)]
    return F.normalize(
        torch.stack([beats[a:b].mean(0) for a, b in zip(starts, ends, strict=True)]), dim=-1
    )


class TorchAudioEncoder:
    """A MotionBeat model's music encoder behind the numpy runtime's interface (``encode``), for
    checkpoints not exported and for runs on a GPU."""

    def __init__(self, model: MotionBeat):
        self.model = model.eval()
        self.config = model.config
        self.model_id = model_id(model.config, audio_arrays(model.state_dict()))

    @torch.no_grad()
    def encode(self, mel, bar_phase):
        """As ``NumpyAudioEncoder.encode``: clip ``(E,)`` and beats ``(N, E)`` float32 arrays."""
        device = next(self.model.parameters()).device
        phase = torch.from_numpy(bar_phase)[None].to(device)
        padding = torch.zeros(phase.shape, dtype=torch.bool, device=device)
        encoded = self.model.encode_audio(torch.from_numpy(mel)[None].to(device), phase, padding)
        return encoded.clip[0].float().cpu().numpy(), encoded.beats[0].float().cpu().numpy()
