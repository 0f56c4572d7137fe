"""The beat tracker's network in torch, for training, and its export to numpy arrays.

The same layers as ``core.beats.network.BeatNet`` evaluates (a TCN after Davies and Böck 2019):
a 3-tap front convolution, one residual block per dilation (dilated convolution, ELU, dropout,
1x1 mixing), a 1x1 head giving beat and downbeat logits per frame, and a tempo head: the last
hidden layer averaged over the song, then a linear layer giving logits over the beat decoder's
intervals (Böck, Davies and Knees, "Multi-task learning of tempo and beat", ISMIR 2019).
"""

from __future__ import annotations

import torch
from torch import nn

from core.beats.network import BeatNetConfig


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float):
        super().__init__()
        padding = (kernel_size // 2) * dilation
        self.dilated = nn.Conv1d(
            channels, channels, kernel_size, dilation=dilation, padding=padding
        )
        self.dropout = nn.Dropout(dropout)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(self.dropout(nn.functional.elu(self.dilated(x))))


class BeatTCN(nn.Module):
    """(B, T, n_features) features -> ((B, T, 2) beat and downbeat logits, (B, K) tempo logits
    over ``config.beat_intervals``); ``mask`` (B, T) marks the frames of each song."""

    def __init__(self, config: BeatNetConfig):
        super().__init__()
        self.config = config
        self.front = nn.Conv1d(config.n_features, config.channels, 3, padding=1)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            ResidualBlock(config.channels, config.kernel_size, d, config.dropout)
            for d in config.dilations
        )
        self.head = nn.Conv1d(config.channels, 2, 1)
        self.tempo = nn.Linear(config.channels, len(config.beat_intervals))

    def forward(
        self, features: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.dropout(nn.functional.elu(self.front(features.transpose(1, 2))))
        for block in self.blocks:
            x = block(x)
        if mask is None:
            pooled = x.mean(dim=2)
        else:
            pooled = (x * mask[:, None, :]).sum(dim=2) / mask.sum(dim=1, keepdim=True).clamp(min=1)
        return self.head(x).transpose(1, 2), self.tempo(pooled)
