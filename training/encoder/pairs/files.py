"""Paired data a user points at: a folder of motion files and a folder of the music they dance to.

Motion may be AIST++ ``.pkl`` (read without running code), AMASS-style ``.npz`` or BVH of a known
rig (``core.motion_files.load.load_any_motion``), resampled to 30 fps. Each motion's music is the
file of the same stem in the music folder, or, for AIST++ names such as
``gBR_sBM_cAll_d04_mBR0_ch01``, the music ID ``mBR0`` (AIST++'s own naming). Motion frame 0 is taken
to be music time 0, as in AIST++. Every ``VALIDATION_EVERY``-th motion file (sorted by name) is held
out for validation.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.audio.decode import load_audio
from core.beats.librosa_tracker import track_beats
from core.errors import MotionFileError
from core.model.config import MotionBeatConfig
from core.motion_files.load import load_any_motion
from training.encoder.windows import PairedClip

MOTION_SUFFIXES = (".pkl", ".npz", ".bvh")
MUSIC_SUFFIXES = (".wav", ".ogg", ".flac", ".mp3")
AISTPP_MUSIC_ID = re.compile(r"_(m[A-Z]{2}\d)_")
VALIDATION_EVERY = 10
FPS = 30.0


def _music_for(motion: Path, music_dir: Path) -> Path | None:
    candidates = [motion.stem]
    match = AISTPP_MUSIC_ID.search(motion.stem)
    if match:
        candidates.append(match.group(1))
    for stem in candidates:
        for suffix in MUSIC_SUFFIXES:
            if (music_dir / f"{stem}{suffix}").is_file():
                return music_dir / f"{stem}{suffix}"
    return None


def file_pair_sources(motion_dir: Path, music_dir: Path) -> tuple[list[tuple[Path, Path]], ...]:
    """(motion, music) pairs of the training and of the validation split.

    Raises MotionFileError if the folders hold no motion file with its music.
    """
    motions = sorted(p for p in Path(motion_dir).iterdir() if p.suffix.lower() in MOTION_SUFFIXES)
    pairs = [(m, music) for m in motions if (music := _music_for(m, Path(music_dir))) is not None]
    if not pairs:
        raise MotionFileError(
            f"no motion file in {motion_dir} has its music in {music_dir} (same name, or an "
            "AIST++ music ID such as mBR0)"
        )
    held_out = pairs[::VALIDATION_EVERY]
    return [p for p in pairs if p not in held_out], held_out


def file_pair(motion_path: Path, music_path: Path, config: MotionBeatConfig) -> PairedClip:
    """One motion and its music, cut to the shorter of the two."""
    motion = load_any_motion(motion_path, FPS)
    audio = load_audio(music_path, sr=config.sample_rate)
    seconds = min(len(audio) / config.sample_rate, motion.duration)
    audio = audio[: int(seconds * config.sample_rate)]
    track = track_beats(audio, config.sample_rate, config.beats_per_bar)
    n_frames = min(motion.n_frames, int(seconds * FPS) + 1)
    return PairedClip(
        name=f"files-{motion_path.stem}-{music_path.stem}",
        audio=audio,
        joints=motion.joint_positions()[:n_frames],
        contacts=motion.contacts[:n_frames],
        fps=FPS,
        beat_times=track.beats,
        first_downbeat_index=track.first_downbeat_index,
    )
