"""Embedding a song with the MotionBeat music encoder: per beat, per bar and for the clip."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.audio import load_audio
from core.beats import BeatTrack, track_beats
from core.model.network import MotionBeat, bar_embeddings, bar_starts
from core.model.tokens import audio_tokens


@dataclass
class SongEmbedding:
    """beats : (N, E) float32, one per beat interval, L2-normalised
    bars : (n_bars, E) float32; bar_times : (n_bars,) seconds where each of those bars starts
    clip : (E,) float32; beat_times : (N + 1,) seconds, the token boundaries
    downbeats : seconds"""

    beats: np.ndarray
    bars: np.ndarray
    bar_times: np.ndarray
    clip: np.ndarray
    beat_times: np.ndarray
    downbeats: np.ndarray

    def save_npz(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            beat_embeddings=self.beats,
            bar_embeddings=self.bars,
            bar_times=self.bar_times,
            clip_embedding=self.clip,
            beat_times=self.beat_times,
            downbeats=self.downbeats,
        )
        return path


@torch.no_grad()
def embed_song(song: str | os.PathLike, model: MotionBeat) -> SongEmbedding:
    """Decode, track beats, tokenise and encode a song.

    Raises AudioLoadError or BeatTrackingError as ``core.analysis`` does.
    """
    config = model.config
    y = load_audio(song, sr=config.sample_rate)
    return embed_audio(y, track_beats(y, config.sample_rate, config.beats_per_bar), model)


@torch.no_grad()
def embed_audio(y: np.ndarray, track: BeatTrack, model: MotionBeat) -> SongEmbedding:
    """``embed_song`` of decoded samples (n,) float32 mono at the model's sample rate, on beats
    already tracked (``core.beats.track_beats``)."""
    config = model.config
    tokens = audio_tokens(y, track.beats, track.first_downbeat_index, config)
    device = next(model.parameters()).device
    mel = torch.from_numpy(tokens.mel)[None].to(device)
    phase = torch.from_numpy(tokens.bar_phase)[None].to(device)
    padding = torch.zeros(phase.shape, dtype=torch.bool, device=device)
    encoded = model.eval().encode_audio(mel, phase, padding)
    return SongEmbedding(
        beats=encoded.beats[0].cpu().numpy(),
        bars=bar_embeddings(encoded.beats[0], phase[0]).cpu().numpy(),
        bar_times=tokens.beat_times[bar_starts(tokens.bar_phase)],
        clip=encoded.clip[0].cpu().numpy(),
        beat_times=tokens.beat_times,
        downbeats=track.downbeats,
    )
