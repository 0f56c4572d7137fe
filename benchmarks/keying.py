"""Bulk F-curve keying (``keyframe_points.add`` + ``foreach_set``) against ``keyframe_insert``.

    python benchmarks/keying.py [SECONDS]

Keys the same SMPL dance (SECONDS long, 180 by default, at 30 fps) both ways on fresh armatures in
one run: in bulk every channel (24 bone rotations, pelvis location, 4 contacts), with
``keyframe_insert`` the rotations and location only. Each insert searches its F-curve, so that
path slows as curves grow: the full-length dance is what an animator keys, and takes minutes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy  # noqa: E402

from core.analysis import SongAnalysis  # noqa: E402
from core.beats.beat_track import BeatTrack  # noqa: E402
from core.body.skeleton import JOINT_NAMES  # noqa: E402
from core.choreography.procedural import choreograph  # noqa: E402
from motionbeat_addon.armature import build_smpl_armature  # noqa: E402
from motionbeat_addon.conversion import pose_channels  # noqa: E402
from motionbeat_addon.keying import key_dance  # noqa: E402


def dance(seconds: float):
    beats = np.arange(0.25, seconds, 0.5)
    return choreograph(SongAnalysis(seconds, BeatTrack(beats, 4, 0, tracker="given")), fps=30)


def key_one_by_one(obj, motion) -> None:
    """The slow path: set each channel and call keyframe_insert frame by frame."""
    bones = obj.data.bones
    rest = np.array([np.array(bones[n].matrix_local.to_3x3()) for n in JOINT_NAMES])
    quaternions, location = pose_channels(
        motion.poses, motion.trans, rest, np.array(bones["pelvis"].head_local)
    )
    pose_bones = [obj.pose.bones[n] for n in JOINT_NAMES]
    for bone in pose_bones:
        bone.rotation_mode = "QUATERNION"
    for f in range(motion.n_frames):
        for j, bone in enumerate(pose_bones):
            bone.rotation_quaternion = quaternions[f, j]
            bone.keyframe_insert("rotation_quaternion", frame=f + 1)
        pose_bones[0].location = location[f]
        pose_bones[0].keyframe_insert("location", frame=f + 1)


def main(seconds: float) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    motion = dance(seconds)

    bulk_times = []
    for run in range(3):  # the median of three fresh armatures: one run is 0.1 s, and noisy
        bulk = build_smpl_armature(bpy.context, f"bulk{run}")
        start = time.perf_counter()
        key_dance(bulk, motion, f"bulk{run}")
        bulk_times.append(time.perf_counter() - start)
    bulk_s = float(np.median(bulk_times))

    slow = build_smpl_armature(bpy.context, "one_by_one")
    start = time.perf_counter()
    key_one_by_one(slow, motion)
    slow_s = time.perf_counter() - start

    print(f"{motion.n_frames} frames at 30 fps")
    print(f"  bulk foreach_set: {bulk_s:8.3f} s (every channel; median of 3)")
    print(f"  keyframe_insert:  {slow_s:8.2f} s (rotations and location only)")
    print(f"  bulk keying is {slow_s / bulk_s:.0f} times faster")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 180.0)
