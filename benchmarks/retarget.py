"""How faithfully captured BVH motion lands on SMPL, rig by rig, over every file in
../shared/data/motion.

    python benchmarks/retarget.py

For each file: the angle between each retargeted SMPL limb bone (thigh, shin, foot, collar to
shoulder, upper arm, forearm, hand) and the source bone it stands for, the time to parse and to
retarget, the foot skate and PFC of the result at 30 fps, how well its beats are found (BAS of
the motion warped onto a grid, on the grid and half a beat off), and the widest mean rotation
of a spine, neck, collar, ankle or wrist joint in its parent over the rig's files (with the
joint and the file): those joints' roll about their bone is not in the positions, and a wrong
one shows on a skinned character only. Torso bones are left out of the bone angles: rigs place
their root, spine and collar joints differently, so those bones point differently at rest
already. Prints a line per rig.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body.contacts import detect_foot_contacts  # noqa: E402
from core.body.skeleton import JOINT_INDEX, PARENTS  # noqa: E402
from core.choreography.time_warp import motion_beats, warp_onto_beats  # noqa: E402
from core.metrics import beat_align_score, foot_skate, physical_foot_contact  # noqa: E402
from core.motion_files.bvh import read_bvh  # noqa: E402
from core.motion_files.retarget import RIGS, detect_rig, retarget_bvh, up_to_y  # noqa: E402

MOTION = ROOT.parent / "shared" / "data" / "motion"
LIMBS = {
    JOINT_INDEX[f"{side}_{joint}"]
    for side in ("left", "right")
    for joint in ("knee", "ankle", "foot", "shoulder", "elbow", "wrist", "hand")
}  # each the child end of a limb bone
# Joints whose roll positions cannot show: a mean rotation far from rest in one of them is a
# rig frame the retargeting did not undo (a foot rolled sole up), not the dance.
TURNED = ("spine1", "spine2", "spine3", "neck", "left_collar", "right_collar", "left_ankle",
          "right_ankle", "left_wrist", "right_wrist")  # fmt: skip


def main() -> None:
    rows: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(MOTION.rglob("*.bvh")):
        start = time.perf_counter()
        bvh = read_bvh(path)
        parsed = time.perf_counter()
        motion = retarget_bvh(bvh)
        done = time.perf_counter()
        rig = detect_rig(bvh)
        source = {JOINT_INDEX[j]: bvh.names.index(n) for j, n in RIGS[rig].items()}
        positions, _ = bvh.forward_kinematics()
        positions = positions @ up_to_y(positions, source).T  # the source bones, Y-up as ours
        joints = motion.joint_positions()
        bones = [(PARENTS[j], j) for j in source if j in LIMBS and PARENTS[j] in source]
        for parent, child in bones:
            ours = joints[:, child] - joints[:, parent]
            theirs = positions[:, source[child]] - positions[:, source[parent]]
            cosine = np.sum(ours * theirs, -1) / (
                np.linalg.norm(ours, axis=-1) * np.linalg.norm(theirs, axis=-1)
            )
            rows[rig]["angles"].append(np.degrees(np.arccos(np.clip(cosine, -1, 1))))
        resampled = motion.resampled(30.0)
        joints30 = resampled.joint_positions()
        rows[rig]["skate"].append(foot_skate(joints30, detect_foot_contacts(joints30, 30.0), 30.0))
        rows[rig]["pfc"].append(physical_foot_contact(joints30, 30.0))
        # How well the motion's beats are found: warped onto a 120 BPM grid, BAS on the grid
        # against half a beat off it (the pseudo-pairs of training/encoder/pairs/pseudo.py).
        beats = motion_beats(resampled, joints30)
        grid = np.arange(len(beats)) * 0.5
        warped = warp_onto_beats(resampled, beats, grid, 30.0).joint_positions()
        rows[rig]["on grid"].append(beat_align_score(warped, 30.0, grid))
        rows[rig]["half off"].append(beat_align_score(warped, 30.0, grid + 0.25))
        for name in TURNED:
            if JOINT_INDEX[name] in source:
                mean = Rotation.from_rotvec(motion.poses[:, JOINT_INDEX[name]]).mean()
                rows[rig]["turns"].append((np.degrees(mean.magnitude()), name, path.stem))
        rows[rig]["parse"].append(parsed - start)
        rows[rig]["retarget"].append(done - parsed)
        rows[rig]["seconds"].append(motion.duration)
    print(
        "| rig | files | minutes | limb bone angle mean | p95 | parse s/file | retarget s/file "
        "| foot skate cm/s | PFC | warped BAS on grid | half a beat off | widest mean turn |"
    )
    print("|---" * 12 + "|")
    for rig, row in rows.items():
        angles = np.concatenate([a.ravel() for a in row["angles"]])
        print(
            f"| {rig} | {len(row['parse'])} | {sum(row['seconds']) / 60:.1f} | "
            f"{angles.mean():.2f} deg | {np.percentile(angles, 95):.2f} deg | "
            f"{np.mean(row['parse']):.2f} | {np.mean(row['retarget']):.2f} | "
            f"{np.mean(row['skate']):.1f} | {np.mean(row['pfc']):.2f} | "
            f"{np.mean(row['on grid']):.3f} | {np.mean(row['half off']):.3f} | "
            "{:.0f} deg ({}, {}) |".format(*max(row["turns"]))
        )


if __name__ == "__main__":
    main()
