"""How well SMPL fits tang2018's capture, over all 43 clips.

    python benchmarks/tang2018_fit.py [CACHE_DIR]

Fits every clip (or reads the fits cached by training under CACHE_DIR, .cache/motionbeat by
default) and prints the bone-direction error of the fit (degrees, mean and 95th percentile),
and the contact share, foot skate (cm/s) and PFC of the fitted motion.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.metrics import foot_skate, physical_foot_contact  # noqa: E402
from core.motion_files.joint_fit import bone_direction_error  # noqa: E402
from core.motion_files.tang2018 import FITTED_BONES, load_tang2018_joints, smpl_targets  # noqa: E402
from training.encoder.pairs.tang2018 import TANG2018, fitted_motions, split_names  # noqa: E402


def main(cache_dir: Path) -> None:
    if not TANG2018.exists():
        sys.exit(f"{TANG2018} is absent")
    names = split_names("train") + split_names("test")
    start = time.perf_counter()
    motions = fitted_motions(names, cache_dir)
    print(
        f"{len(names)} clips fitted or read from {cache_dir} in {time.perf_counter() - start:.0f} s"
    )
    errors, shares, skates, pfcs = [], [], [], []
    for name in names:
        motion = motions[name]
        joints = motion.joint_positions()
        world, _ = load_tang2018_joints(TANG2018 / f"{name}.npz")
        errors.append(bone_direction_error(joints, smpl_targets(world), FITTED_BONES).ravel())
        shares.append(motion.contacts.mean())
        skates.append(foot_skate(joints, motion.contacts, motion.fps))
        pfcs.append(physical_foot_contact(joints, motion.fps))
    error = np.concatenate(errors)
    print(
        f"bone direction error: mean {error.mean():.2f} deg, 95th percentile "
        f"{np.percentile(error, 95):.2f} deg"
    )
    print(
        f"contact frames {np.mean(shares):.2f}, foot skate {np.mean(skates):.1f} cm/s, "
        f"PFC {np.mean(pfcs):.2f} (means over clips)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".cache/motionbeat"))
