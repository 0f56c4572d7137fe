"""Beat-synchronous tokens: one token per beat, each beat resampled to a fixed number of steps.

Audio: log-mel frames; motion: root-relative joints, joint velocities and foot contacts. Both are
averaged over ``sub_beat_steps`` equal windows of each beat (DESIGN.md §4), so a token means
"one beat" whatever the tempo. Numpy only; the model turns these into tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.audio.spectrum import mel_spectrogram, onset_strength, power_to_db
from core.beats.beat_track import regular_bar_phase
from core.model.config import N_MFCC, MotionBeatConfig

N_FFT = 2048  # librosa's default, which the model was trained with
ONSET_MEL_BANDS = 128  # librosa.onset.onset_strength's default
MEL_DB_SCALE = 40.0  # log-mel dB in about [-80, 0] maps to about [-1, 1]
VELOCITY_SCALE = 3.0  # joint speeds of dance, m/s, to order 1


def window_means(
    features: np.ndarray, frame_rate: float, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Mean of frame features over time windows, frames treated as piecewise constant.

    features : (F, D), frame k standing for [k - 1/2, k + 1/2) / frame_rate seconds
    starts, ends : (M,) seconds. Returns ``(M, D)`` float32; windows past the ends take the
    nearest frames.
    """
    n = len(features)
    cumulative = np.concatenate([np.zeros((1, features.shape[1])), np.cumsum(features, axis=0)])

    def integral(t: np.ndarray) -> np.ndarray:
        x = np.clip(t * frame_rate + 0.5, 0.0, n - 1e-9)
        k = np.floor(x).astype(int)
        return cumulative[k] + (x - k)[:, None] * features[k]

    a, b = integral(starts), integral(ends)
    width = np.clip(ends * frame_rate + 0.5, 0, n - 1e-9) - np.clip(
        starts * frame_rate + 0.5, 0, n - 1e-9
    )
    nearest = features[np.clip(np.round(starts * frame_rate).astype(int), 0, n - 1)]
    means = np.where(width[:, None] > 1e-6, (b - a) / np.maximum(width, 1e-6)[:, None], nearest)
    return means.astype(np.float32)


def beat_synchronous(
    features: np.ndarray, frame_rate: float, beat_times: np.ndarray, steps: int
) -> np.ndarray:
    """Resample frame features to ``steps`` windows per beat.

    beat_times : (N + 1,) seconds, the boundaries of N beats. Returns ``(N, steps, D)``.
    """
    fractions = np.arange(steps + 1) / steps
    edges = beat_times[:-1, None] + np.diff(beat_times)[:, None] * fractions[None]  # (N, steps+1)
    means = window_means(features, frame_rate, edges[:, :-1].ravel(), edges[:, 1:].ravel())
    return means.reshape(len(beat_times) - 1, steps, -1)


def bar_starts(bar_phase) -> list[int]:
    """Token indices where bars start: each token of phase 0, and the first token.

    bar_phase : (N,) tensor or array for one song.
    """
    starts = [i for i, phase in enumerate(bar_phase.tolist()) if phase == 0]
    return starts if starts and starts[0] == 0 else [0, *starts]


@dataclass
class AudioTokens:
    """mel : (N, S, n_mels) float32 scaled log-mel
    bar_phase : (N,) float32; beat_times : (N + 1,) float64 seconds, token boundaries."""

    mel: np.ndarray
    bar_phase: np.ndarray
    beat_times: np.ndarray


@dataclass
class MotionTokens:
    """features : (N, S, motion_features) float32; contact_pulse : (N, S) foot landings in [0, 1]
    bar_phase : (N,) float32."""

    features: np.ndarray
    contact_pulse: np.ndarray
    bar_phase: np.ndarray


def log_mel(y: np.ndarray, config: MotionBeatConfig) -> np.ndarray:
    """Scaled log-mel spectrogram: (frames, n_mels) float32 at ``hop_length``: the mel power in
    dB below its peak, floored at -80 (librosa's melspectrogram and power_to_db, in numpy:
    ``core.audio.spectrum``), over ``MEL_DB_SCALE``, plus 1."""
    power = mel_spectrogram(y, config.sample_rate, N_FFT, config.hop_length, config.n_mels)
    return (power_to_db(power) / MEL_DB_SCALE + 1.0).astype(np.float32)


def audio_frames(y: np.ndarray, config: MotionBeatConfig) -> np.ndarray:
    """The audio encoder's frame features at ``hop_length``: (frames, audio_features) float32.

    ``log_mel`` for the model; for the "librosa" baseline front end, librosa's onset strength
    (as ``onset_envelope``), chroma (``chroma_stft``, in [0, 1]) and MFCCs standardised per song.
    """
    if config.audio_front_end == "mel":
        return log_mel(y, config)
    import librosa  # the baseline front end only: librosa is absent from Blender's Python

    sr, hop = config.sample_rate, config.hop_length
    chroma = librosa.feature.chroma_stft(y=y, sr=sr, hop_length=hop)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, hop_length=hop, n_mfcc=N_MFCC)
    mfcc = (mfcc - mfcc.mean(axis=1, keepdims=True)) / (mfcc.std(axis=1, keepdims=True) + 1e-6)
    n = min(chroma.shape[1], mfcc.shape[1])
    onset = onset_envelope(y, config)[None, :n]
    return np.concatenate([onset, chroma[:, :n], mfcc[:, :n]]).T.astype(np.float32)


def onset_envelope(y: np.ndarray, config: MotionBeatConfig) -> np.ndarray:
    """librosa's onset strength (on its default 128 mel bands), scaled to [0, 1] by its 99th
    percentile: (frames,) float32."""
    power = mel_spectrogram(y, config.sample_rate, N_FFT, config.hop_length, ONSET_MEL_BANDS)
    onset = onset_strength(power_to_db(power), N_FFT, config.hop_length)
    return np.clip(onset / (np.percentile(onset, 99) + 1e-9), 0.0, 1.0).astype(np.float32)


def audio_tokens(
    y: np.ndarray,
    beat_times: np.ndarray,
    phase: np.ndarray,
    config: MotionBeatConfig,
    mel_frames: np.ndarray | None = None,
) -> AudioTokens:
    """Tokens of a song. y : (n,) float32 mono at ``config.sample_rate``; beat_times : (N + 1,)
    seconds; phase : (N,) float32 bar phase of the tokens' first beats (``regular_bar_phase``, or
    the song's ``BeatTrack.bar_phase``); mel_frames : ``audio_frames(y, config)`` when the caller
    has it already."""
    rate = config.sample_rate / config.hop_length
    frames = audio_frames(y, config) if mel_frames is None else mel_frames
    mel = beat_synchronous(frames, rate, beat_times, config.sub_beat_steps)
    if len(phase) != len(mel):
        raise ValueError(f"{len(phase)} bar phases for {len(mel)} beat tokens")
    return AudioTokens(mel, np.asarray(phase, dtype=np.float32), beat_times)


def onset_tokens(y: np.ndarray, beat_times: np.ndarray, config: MotionBeatConfig) -> np.ndarray:
    """The onset envelope per token, the target of the onset head in training: (N, S) in
    [0, 1]. Apart from ``audio_tokens``, which embedding a song needs without it."""
    rate = config.sample_rate / config.hop_length
    onset = onset_envelope(y, config)[:, None]
    return beat_synchronous(onset, rate, beat_times, config.sub_beat_steps)[..., 0]


def motion_frame_features(joints: np.ndarray, contacts: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame motion features: (T, 148) float32 = root-relative joints (72), joint
    velocities in m/s scaled by 1/3 (72), contacts (4). joints : (T, 24, 3) metres, Y-up."""
    relative = joints - joints[:, :1]
    velocity = np.gradient(joints, axis=0) * fps / VELOCITY_SCALE if len(joints) > 1 else 0 * joints
    n = len(joints)
    return np.concatenate(
        [relative.reshape(n, -1), velocity.reshape(n, -1), contacts], axis=1
    ).astype(np.float32)


def contact_landings(contacts: np.ndarray) -> np.ndarray:
    """Frames where any foot joint lands: (T,) float32 in {0, 1}."""
    rising = np.diff(contacts, axis=0, prepend=contacts[:1]) > 0.5
    return rising.any(axis=1).astype(np.float32)


def motion_tokens(
    joints: np.ndarray,
    contacts: np.ndarray,
    fps: float,
    beat_times: np.ndarray,
    first_downbeat_index: int,
    config: MotionBeatConfig,
) -> MotionTokens:
    """Tokens of a motion on the music's beats. joints : (T, 24, 3); contacts : (T, 4)."""
    steps = config.sub_beat_steps
    features = beat_synchronous(
        motion_frame_features(joints, contacts, fps), fps, beat_times, steps
    )
    landings = beat_synchronous(contact_landings(contacts)[:, None], fps, beat_times, steps)[..., 0]
    # A window mean of impulses times the window's length in frames counts the landings in it.
    frames_per_step = np.diff(beat_times)[:, None] * fps / steps
    pulse = np.clip(landings * np.maximum(frames_per_step, 1.0), 0.0, 1.0).astype(np.float32)
    phase = regular_bar_phase(len(features), first_downbeat_index, config.beats_per_bar)
    return MotionTokens(features, pulse, phase)
