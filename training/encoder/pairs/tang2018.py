"""tang2018 as paired training data: its music, the music's beats, and the SMPL fit of the dance.

Research use only (commercial music, no licence stated): never behind a shipped model. The pairs
respect ``splits.json`` (its test pairs are never trained on). Beat-level sync of this data is
unverified (../shared/data/README.md), so the beats are the music's own (librosa) and the dance
is taken as weakly paired. Fits are slow, so each clip's fitted motion is cached as an ``.npz``.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.audio.decode import load_audio
from core.beats.librosa_tracker import track_beats
from core.body.motion import Motion
from core.model.config import MotionBeatConfig
from core.motion_files.tang2018 import fit_tang2018_clips, load_tang2018_joints
from training.encoder.windows import PairedClip
from training.shared_data import SHARED_DATA

TANG2018 = SHARED_DATA / "paired" / "tang2018"


def split_names(split: str, folder: Path = TANG2018) -> list[str]:
    """Clip names of the ``train`` (every pair not listed as test) or ``test`` split."""
    test = json.loads((folder / "splits.json").read_text())["test"]
    if split == "test":
        return sorted(test)
    return sorted(p.stem for p in folder.glob("*.npz") if p.stem not in test)


def fitted_motions(names: list[str], cache_dir: Path, folder: Path = TANG2018) -> dict[str, Motion]:
    """SMPL motion of each clip, from the cache or fitted (all missing clips in one batch)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = {n: cache_dir / f"tang2018-fit-{n}.npz" for n in names}
    missing = [n for n in names if not cached[n].is_file()]
    if missing:
        for name, motion in zip(
            missing,
            fit_tang2018_clips([load_tang2018_joints(folder / f"{n}.npz") for n in missing]),
            strict=True,
        ):
            motion.save_npz(cached[name])
    return {n: Motion.load_npz(cached[n]) for n in names}


def tang2018_clip(
    name: str, motion: Motion, config: MotionBeatConfig, folder: Path = TANG2018
) -> PairedClip:
    audio = load_audio(folder / f"{name}.ogg", sr=config.sample_rate)
    track = track_beats(audio, config.sample_rate, config.beats_per_bar)
    return PairedClip(
        name=f"tang2018-{name}",
        audio=audio,
        joints=motion.joint_positions(),
        contacts=motion.contacts,
        fps=motion.fps,
        beat_times=track.beats,
        first_downbeat_index=track.first_downbeat_index,
    )
