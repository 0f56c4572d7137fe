"""Pseudo-pairs: real music with real captured dance time-warped onto its beats.

Each CMU capture clip (subject 05's modern dance and the salsa takes of subjects 60 and 61,
retargeted to SMPL from BVH) is warped so that its beats (``core.choreography.time_warp``) land on
the beats of a game track from ../shared/data/music/game, starting on a downbeat: a pair
synchronised by construction, as far as the capture's beats are found (``benchmarks/retarget.py``
prints, per rig, the BAS of the warped motion on its grid and half a beat off). Where the song is
much faster than the dance, the dance beats fall on every other music beat. The Bandai clip (no
derivatives allowed) is left out.

Validation holds out takes 05, 10, 15 and 20: both partners of a salsa take stay on one side, so
no validation dance was trained on from the other partner's view.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from core.audio.decode import load_audio
from core.beats.librosa_tracker import track_beats
from core.choreography.time_warp import motion_beats, warp_onto_beats
from core.model.config import MotionBeatConfig
from core.motion_files.load import load_bvh_motion
from training.encoder.windows import PairedClip
from training.shared_data import SHARED_DATA

CAPTURES = ("motion/cmu_subject05_bvh/05/*.bvh", "motion/cmu_salsa_60_61/*.bvh")
MUSIC = "music/game/*.ogg"
VALIDATION_TAKES = {"05", "10", "15", "20"}
FPS = 30.0
SONGS_PER_CAPTURE = 3  # each dance on three songs: 48 captures are few, songs are many
DOUBLE_TIME = 1.5  # a song this much faster than the dance gets one dance beat per two beats


def _take(capture: Path) -> str:
    """The take number of a CMU file name: 05_10.bvh and 60_10_scaled.bvh are take 10."""
    return re.match(r"\d+_(\d+)", capture.name).group(1)


def pseudo_pair_sources(shared: Path = SHARED_DATA) -> tuple[list[tuple[Path, Path]], ...]:
    """(capture, song) pairs of the training and of the validation split, in a fixed order.

    Songs are dealt to captures in turn, ``SONGS_PER_CAPTURE`` each.
    """
    captures = sorted(p for pattern in CAPTURES for p in shared.glob(pattern))
    songs = sorted(shared.glob(MUSIC))
    pairs = [
        (capture, songs[(SONGS_PER_CAPTURE * i + k) % len(songs)])
        for i, capture in enumerate(captures)
        for k in range(SONGS_PER_CAPTURE)
    ]
    held_out = [(c, s) for c, s in pairs if _take(c) in VALIDATION_TAKES]
    return [p for p in pairs if p not in held_out], held_out


def pseudo_pair(capture: Path, song: Path, config: MotionBeatConfig) -> PairedClip:
    """The capture warped onto the song from its first downbeat, and the song cut to match."""
    motion = load_bvh_motion(capture, FPS)
    dance_beats = motion_beats(motion)
    audio = load_audio(song, sr=config.sample_rate)
    track = track_beats(audio, config.sample_rate, config.beats_per_bar)
    music_beats = track.beats[track.first_downbeat_index :]
    dance_period = np.median(np.diff(dance_beats))
    music_period = np.median(np.diff(music_beats))
    step = 2 if dance_period > DOUBLE_TIME * music_period else 1
    if music_period > DOUBLE_TIME * dance_period:
        dance_beats = dance_beats[::2]
    dance = warp_onto_beats(motion, dance_beats, music_beats[::step], FPS)
    start = music_beats[0]
    end = start + (dance.n_frames - 1) / FPS
    kept = music_beats[music_beats <= end + 1e-6] - start
    first_sample = int(round(start * config.sample_rate))
    return PairedClip(
        name=f"pseudo-{capture.stem}-{song.stem}",
        audio=audio[first_sample : int(round(end * config.sample_rate)) + 1],
        joints=dance.joint_positions(),
        contacts=dance.contacts,
        fps=FPS,
        beat_times=kept,
        first_downbeat_index=0,
    )
