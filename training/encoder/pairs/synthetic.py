"""Synthetic pairs: a procedural dance and drums rendered to it, exactly in sync.

Kicks fall where the dance's feet land, snares on the back beats, hi-hats on eighths, with the
tempo, swing of levels, drum kit and noise drawn per clip. Drum samples come from the Hydrogen
kits in ../shared/data/drumkits (GPL-2+) when present, else from the project's own synthesis,
so pairs can always be made and the default model needs no third-party data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np

from core.analysis import SongAnalysis
from core.audio.demo_song import kick, noise_hit, place
from core.beats.beat_track import BeatTrack
from core.choreography.procedural import choreograph
from core.model.config import MotionBeatConfig
from core.model.tokens import contact_landings
from training.encoder.windows import PairedClip
from training.shared_data import SHARED_DATA

DRUMKITS = SHARED_DATA / "drumkits"
TEMPO_RANGE_BPM = (85.0, 145.0)
FPS = 30.0


@dataclass
class DrumKit:
    kicks: list[np.ndarray]
    snares: list[np.ndarray]
    hats: list[np.ndarray]


def synthesized_kit(rng: np.random.Generator, sr: int) -> DrumKit:
    snare = [noise_hit(rng, 0.2, t, sr) * 0.5 for t in (0.04, 0.06)]
    hats = [np.diff(noise_hit(rng, 0.05, t, sr), prepend=0.0) * 0.4 for t in (0.01, 0.02)]
    return DrumKit(kicks=[kick(sr)], snares=snare, hats=hats)


@functools.cache
def load_drum_kits(sr: int, folder: Path = DRUMKITS) -> list[DrumKit]:
    """The Hydrogen kits in ``folder`` (kick, snare and closed hat samples), or none; read once
    per process, when the first clip is made."""
    kits = []
    for kit in sorted(p for p in folder.glob("*") if p.is_dir()):
        samples = {}
        for part, patterns in {
            "kicks": ("*Kick*",),
            "snares": ("*Snare*",),
            "hats": ("*HatClosed*", "*Hat_Closed*"),
        }.items():
            files = sorted(f for p in patterns for f in kit.glob(p))
            samples[part] = [librosa.load(str(f), sr=sr, mono=True)[0] for f in files]
        if all(samples.values()):
            kits.append(DrumKit(**samples))
    return kits


def synthetic_clip(index: int, seed: int, config: MotionBeatConfig, bars: int) -> PairedClip:
    """Pair number ``index`` of the synthetic set ``seed``: deterministic in both."""
    rng = np.random.default_rng([seed, index])
    sr = config.sample_rate
    period = 60.0 / rng.uniform(*TEMPO_RANGE_BPM)
    lead = rng.uniform(0.1, 0.6)
    n_beats = (bars + 2) * config.beats_per_bar  # a bar of margin each side for the jitter
    beats = lead + period * np.arange(n_beats + 1)
    duration = float(beats[-1] + period)
    track = BeatTrack(beats, config.beats_per_bar, 0, tracker="given")
    dance = choreograph(SongAnalysis(duration, track), fps=FPS, seed=int(rng.integers(2**31)))

    kits = load_drum_kits(sr)
    kit = kits[rng.integers(len(kits))] if kits else synthesized_kit(rng, sr)
    pick = lambda sounds: sounds[rng.integers(len(sounds))]  # noqa: E731
    audio = np.zeros(int(duration * sr))
    levels = rng.uniform(0.6, 1.0, size=3)
    for t in np.flatnonzero(contact_landings(dance.contacts)) / FPS:
        place(audio, pick(kit.kicks), t, levels[0], sr)
    for b, t in enumerate(beats):
        if b % 2 == 1:
            place(audio, pick(kit.snares), t, 0.6 * levels[1], sr)
        for eighth in (0.0, 0.5):
            place(audio, pick(kit.hats), t + eighth * period, 0.3 * levels[2], sr)
    audio += rng.normal(0, rng.uniform(0.001, 0.01), len(audio))
    audio = (0.9 * audio / (np.abs(audio).max() + 1e-9)).astype(np.float32)
    return PairedClip(
        name=f"synthetic-{seed}-{index}-{bars}",
        audio=audio,
        joints=dance.joint_positions(),
        contacts=dance.contacts,
        fps=FPS,
        beat_times=beats,
        first_downbeat_index=0,
    )
