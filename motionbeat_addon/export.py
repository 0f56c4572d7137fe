"""Exporting a keyed dance: SMPL ``.npz`` (DESIGN.md's keys), BVH and FBX.

The dance is read back from the armature's animation, so an export holds it as the scene shows
it, edits included: each frame's pose channels turned back into SMPL axis-angle
(``smpl_motion``), the foot contacts from their channels, the downbeats and beats from the
timeline markers. ``.npz`` is MotionBeat's format; ``.bvh`` is the SMPL skeleton, Y-up
(``core.motion_files.bvh.write_smpl_bvh``): Blender's own BVH exporter writes Blender's Z-up
armature space, which other tools (and Blender's importer) read lying on its back. FBX goes through
Blender's exporter (``io_scene_fbx``), which converts the axes itself: the armature, its body and
the baked animation.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from core.body.motion import Motion
from core.body.skeleton import CONTACT_NAMES, JOINT_NAMES
from core.errors import MotionBeatError
from core.motion_files.bvh import write_smpl_bvh

from .armature import armature_data, check_smpl_armature
from .conversion import smpl_motion
from .dance_scene import scene_fps
from .keying import contact_property

FORMATS = (".npz", ".bvh", ".fbx")


def dance_from_armature(scene: bpy.types.Scene, armature: bpy.types.Object) -> Motion:
    """The SMPL motion keyed on ``armature`` over the scene's frame range.

    Raises ArmatureError if it is not an SMPL armature, MotionBeatError if it has no animation.
    """
    check_smpl_armature(armature)
    action = armature.animation_data.action if armature.animation_data else None
    if action is None:
        raise MotionBeatError(f"'{armature.name}' has no animation to export")
    frames = np.arange(scene.frame_start, scene.frame_end + 1)
    bones = armature_data(armature).bones
    rest = np.array([np.array(bones[name].matrix_local.to_3x3()) for name in JOINT_NAMES])
    quaternions = np.empty((len(frames), len(JOINT_NAMES), 4))
    location = np.empty((len(frames), 3))
    contacts = np.zeros((len(frames), len(CONTACT_NAMES)), dtype=np.float32)
    # Sampled frame by frame through the depsgraph: whatever drives the pose (keys, NLA, edits).
    current = scene.frame_current
    for i, frame in enumerate(frames):
        scene.frame_set(int(frame))
        for j, name in enumerate(JOINT_NAMES):
            quaternions[i, j] = armature.pose.bones[name].rotation_quaternion
        location[i] = armature.pose.bones["pelvis"].location
        for c, contact in enumerate(CONTACT_NAMES):
            contacts[i, c] = armature.get(contact_property(contact), 0.0)
    scene.frame_set(current)
    poses, trans = smpl_motion(quaternions, location, rest, np.array(bones["pelvis"].head_local))
    fps = scene_fps(scene)

    def marker_seconds(*kinds: str) -> np.ndarray:  # "bar N" markers are downbeats
        frames = [m.frame for m in scene.timeline_markers if m.name.split(" ")[0] in kinds]
        return (np.sort(frames) - scene.frame_start) / fps

    return Motion(poses, trans, fps, contacts, marker_seconds("bar", "beat"), marker_seconds("bar"))


def export_dance(context: bpy.types.Context, armature: bpy.types.Object, path: Path) -> Path:
    """Write the armature's dance to ``path``; the suffix picks the format (``FORMATS``).

    Raises MotionBeatError for another suffix or an armature without a dance.
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise MotionBeatError(f"{path.name}: export to {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    scene = context.scene
    if suffix == ".npz":
        return dance_from_armature(scene, armature).save_npz(path)
    if suffix == ".bvh":
        return write_smpl_bvh(dance_from_armature(scene, armature), path)
    check_smpl_armature(armature)
    for obj in context.view_layer.objects:
        obj.select_set(obj == armature or obj.parent == armature)
    context.view_layer.objects.active = armature
    bpy.ops.export_scene.fbx(
        filepath=str(path),
        use_selection=True,
        object_types={"ARMATURE", "MESH"},
        add_leaf_bones=False,
        bake_anim=True,
    )
    return path
