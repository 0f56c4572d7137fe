"""librosa's beat tracker with a downbeat heuristic: the fallback to MotionBeat's tracker.

Beats come from librosa's dynamic-programming beat tracker (Ellis 2007) on the onset envelope.
Downbeats are chosen among the beats: the bar phase whose beats carry the strongest accents.
A beat's accent adds two classic downbeat cues (Goto, "An audio-based real-time beat tracking
system", 2001): the low-band onset envelope (kick drums and bass notes) and the harmonic change
into the beat (chroma novelty; chords change on the bar). On the 11 LMMS songs in shared/data
this picks the best of the four phases for every song, where the onset envelope alone picks it
for four. The bar is 4/4 unless the caller says otherwise.
"""

from __future__ import annotations

import librosa
import numpy as np

from core.audio.spectrum import n_frames, stft_magnitude
from core.beats.beat_track import BeatTrack, peak_near
from core.errors import BeatTrackingError

HOP_LENGTH = 512  # samples; 23 ms at 22.05 kHz, librosa's default
N_FFT = 2048  # librosa's default
N_MELS = 128
LOW_BAND_HZ = 200.0  # below this sit kick drums and bass, the usual downbeat accents
BEATS_PER_BAR = 4


def onset_envelopes(log_mel: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Full-band and low-band (< 200 Hz) onset envelopes.

    log_mel : (N_MELS, frames) log-power mel spectrogram at ``HOP_LENGTH``.
    Returns two ``(frames,)`` float32 arrays.
    Source: librosa.onset.onset_strength (spectral flux on a log-power mel spectrogram).
    """
    n_low = int(np.searchsorted(librosa.mel_frequencies(n_mels=N_MELS, fmax=sr / 2), LOW_BAND_HZ))
    full = librosa.onset.onset_strength(S=log_mel, sr=sr)
    low = librosa.onset.onset_strength(S=log_mel[: max(n_low, 2)], sr=sr)
    return full, low


def mel_and_chroma(y: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Mel power spectrogram ``(N_MELS, frames)`` and chroma ``(12, frames)``, float32, at
    ``HOP_LENGTH``, frames centred as ``librosa.stft`` centres them.

    Both are per-frame functions of the power spectrogram, so they are computed a block of frames
    at a time (``core.audio.spectrum.stft_magnitude``): the whole complex STFT of a 30-minute song
    would take over a gigabyte.
    """
    mel = np.empty((N_MELS, n_frames(len(y), HOP_LENGTH)), dtype=np.float32)
    chroma = np.empty((12, mel.shape[1]), dtype=np.float32)
    for start, magnitude in stft_magnitude(y, N_FFT, HOP_LENGTH):
        power = magnitude.T**2
        stop = start + power.shape[1]
        mel[:, start:stop] = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=N_MELS)
        # tuning=0: a change of chord needs no tuning estimate (which costs more than the rest).
        chroma[:, start:stop] = librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0)
    return mel, chroma


def chroma_novelty(chroma: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    """Harmonic change into each beat: 1 - cosine similarity of beat-synchronous chroma.

    chroma : (12, frames) at ``HOP_LENGTH``.
    Returns ``(n_beats,)`` float in [0, 1]; the first beat gets 0.
    """
    # Segment i of the synced chroma spans beat i-1 .. beat i (segment 0 is the lead-in).
    synced = librosa.util.sync(chroma, beat_frames, aggregate=np.median)
    synced = synced / (np.linalg.norm(synced, axis=0, keepdims=True) + 1e-9)
    change = 1.0 - np.sum(synced[:, 1:] * synced[:, :-1], axis=0)
    novelty = np.zeros(len(beat_frames))
    novelty[1:] = change[1 : len(beat_frames)]
    return novelty


def choose_downbeat_phase(accents: np.ndarray, beats_per_bar: int) -> int:
    """The bar phase (0 .. beats_per_bar-1) whose beats have the highest mean accent.

    accents : (n,) accent strength at each beat.
    """
    scores = [accents[p::beats_per_bar].mean() for p in range(min(beats_per_bar, len(accents)))]
    return int(np.argmax(scores))


def track_beats(y: np.ndarray, sr: int, beats_per_bar: int = BEATS_PER_BAR) -> BeatTrack:
    """Track beats, downbeats and tempo.

    y : (n,) float32 mono samples at ``sr`` Hz.
    Raises BeatTrackingError if fewer than two beats are found.
    """
    mel, chroma = mel_and_chroma(y, sr)
    full, low = onset_envelopes(librosa.power_to_db(mel, ref=np.max), sr)
    _, beat_frames = librosa.beat.beat_track(onset_envelope=full, sr=sr, hop_length=HOP_LENGTH)
    beat_frames = np.asarray(beat_frames, dtype=int)
    if len(beat_frames) < 2:
        raise BeatTrackingError("no steady beat found in the song")
    beats = librosa.frames_to_time(beat_frames, sr=sr, hop_length=HOP_LENGTH)
    bass = peak_near(low, beat_frames)  # beat times are quantised to frames
    harmony = chroma_novelty(chroma, beat_frames)
    accents = bass / (bass.mean() + 1e-9) + harmony / (harmony.mean() + 1e-9)
    phase = choose_downbeat_phase(accents, beats_per_bar)
    return BeatTrack(
        beats.astype(np.float64),
        beats_per_bar,
        int(phase),
        tracker="librosa",
        accents=peak_near(full, beat_frames).astype(np.float64),
    )
