"""Embedding a song with the MotionBeat music encoder: per beat, per bar and for the clip.

Numpy only. The encoder is the shipped numpy runtime (``core.model.numpy_encoder``) unless the
caller passes another with the same ``encode`` (``core.model.network.TorchAudioEncoder`` for a
checkpoint or a GPU), so the same song gives the same embedding in Blender and outside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from core.analysis import find_beats
from core.atomic import atomic_write
from core.audio.decode import SAMPLE_RATE, load_audio
from core.beats.beat_track import BeatTrack
from core.errors import ModelFileError
from core.model.config import MotionBeatConfig
from core.model.numpy_encoder import default_audio_encoder
from core.model.tokens import audio_tokens, bar_starts


class AudioEncoder(Protocol):
    """A music encoder: ``NumpyAudioEncoder`` (the shipped runtime) or ``TorchAudioEncoder``.

    config : the model's ``MotionBeatConfig``; model_id : ``numpy_encoder.model_id`` of its
    weights; encode(mel (N, S, n_mels), bar_phase (N,)) -> clip (E,), beats (N, E), unit.
    ``embed_audio`` feeds it ``audio_tokens`` of a song at ``SAMPLE_RATE``.
    """

    config: MotionBeatConfig
    model_id: str

    def encode(self, mel: np.ndarray, bar_phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


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
        with atomic_write(path) as fh:
            np.savez(
                fh,
                beat_embeddings=self.beats,
                bar_embeddings=self.bars,
                bar_times=self.bar_times,
                clip_embedding=self.clip,
                beat_times=self.beat_times,
                downbeats=self.downbeats,
            )
        return path


def bar_means(beats: np.ndarray, bar_phase: np.ndarray) -> np.ndarray:
    """Per-bar embeddings, the unit mean of each bar's beat embeddings (as
    ``core.model.network.bar_embeddings``): (n_bars, E) float32 from beats (N, E)."""
    starts = bar_starts(bar_phase)
    ends = [*starts[1:], len(beats)]
    means = np.stack([beats[a:b].mean(axis=0) for a, b in zip(starts, ends, strict=True)])
    return (means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)).astype(
        np.float32
    )


def embed_song(song: str | os.PathLike, encoder: AudioEncoder | None = None) -> SongEmbedding:
    """Decode, track beats (``core.analysis.find_beats``), tokenise and encode a song.

    Raises AudioLoadError or BeatTrackingError as ``core.analysis`` does.
    """
    encoder = encoder or default_audio_encoder()
    y = load_audio(song)
    return embed_audio(y, find_beats(y), encoder)


def embed_audio(
    y: np.ndarray, track: BeatTrack, encoder: AudioEncoder | None = None
) -> SongEmbedding:
    """``embed_song`` of decoded samples (n,) float32 mono at ``SAMPLE_RATE``, on beats
    already tracked (their meter sets the tokens' bar phase). encoder : the shipped numpy
    encoder by default. Raises ModelFileError if the encoder reads another sample rate."""
    encoder = encoder or default_audio_encoder()
    if encoder.config.sample_rate != SAMPLE_RATE:  # its tokens would be timed wrongly
        raise ModelFileError(
            f"the music encoder reads {encoder.config.sample_rate} Hz audio; songs are decoded "
            f"at {SAMPLE_RATE} Hz"
        )
    tokens = audio_tokens(y, track.beats, track.bar_phase[:-1], encoder.config)
    clip, beats = encoder.encode(tokens.mel, tokens.bar_phase)
    return SongEmbedding(
        beats=beats,
        bars=bar_means(beats, tokens.bar_phase),
        bar_times=tokens.beat_times[bar_starts(tokens.bar_phase)],
        clip=clip,
        beat_times=tokens.beat_times,
        downbeats=track.downbeats,
    )
