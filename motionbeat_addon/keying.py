"""Writing a dance into an action with bulk F-curve keys.

Keys go through ``keyframe_points.add``, ``foreach_set`` and ``handles_recalc`` (DESIGN.md §6;
``benchmarks/keying.py`` measures it against ``keyframe_insert``). On Blender 4.4+ F-curves live
in the action slot's channelbag; on 4.2-4.3 directly on the action.
"""

from __future__ import annotations

import bpy
import numpy as np

from core.body.motion import Motion
from core.body.skeleton import CONTACT_NAMES, JOINT_NAMES

from .armature import armature_data
from .conversion import pose_channels

CONSTANT = 0  # the index of 'CONSTANT' in Blender's keyframe interpolation enum


def _fcurve_container(obj: bpy.types.Object, action: bpy.types.Action):
    """The collection to create F-curves in: a channelbag (4.4+) or the action (4.2-4.3)."""
    if hasattr(action, "slots"):
        from bpy_extras import anim_utils

        slot = action.slots.new(id_type="OBJECT", name=obj.name)
        obj.animation_data.action_slot = slot
        return anim_utils.action_ensure_channelbag_for_slot(action, slot)
    return action


def _key(
    container,
    data_path: str,
    index: int,
    group: str,
    frames: np.ndarray,
    values: np.ndarray,
    constant: bool = False,
) -> None:
    if isinstance(container, bpy.types.Action):  # Blender 4.2-4.3
        # Action.fcurves is gone from 5.0's types; it is the 4.2-4.3 API.
        fcurve = container.fcurves.new(data_path, index=index, action_group=group)  # type: ignore[attr-defined]
    else:
        fcurve = container.fcurves.new(data_path, index=index, group_name=group)
    points = fcurve.keyframe_points
    points.add(len(frames))
    points.foreach_set("co", np.column_stack([frames, values]).astype(np.float32).ravel())
    if constant:
        points.foreach_set("interpolation", np.full(len(frames), CONSTANT, dtype=np.int32))
    # Keys go in in time order, so only the handles need computing: update() would also sort,
    # which is most of its cost.
    points.handles_recalc()


def contact_property(contact: str) -> str:
    """The armature's custom property that carries a foot contact (``CONTACT_NAMES``)."""
    return f"contact_{contact}"


def key_dance(
    obj: bpy.types.Object,
    motion: Motion,
    name: str,
    frame_start: int = 1,
    keep_previous: bool = True,
) -> bpy.types.Action:
    """Key ``motion`` on an SMPL armature object as a new action, frame 0 at ``frame_start``.

    Every bone gets quaternion rotation keys on every frame and the pelvis location keys, with
    Blender's default Bezier interpolation and auto-clamped handles (as its Bake Action leaves
    them); the four foot contacts become custom properties keyed with constant interpolation.
    An action already on the armature is kept (with a fake user), unless ``keep_previous`` is
    False: then it is left without users, and Blender drops it when the file is saved.
    """
    bones = armature_data(obj).bones
    rest_rotations = np.array([np.array(bones[n].matrix_local.to_3x3()) for n in JOINT_NAMES])
    quaternions, location = pose_channels(
        motion.poses, motion.trans, rest_rotations, np.array(bones["pelvis"].head_local)
    )
    animation = obj.animation_data or obj.animation_data_create()
    if animation.action is not None and keep_previous:
        animation.action.use_fake_user = True
    action = bpy.data.actions.new(name)
    animation.action = action
    container = _fcurve_container(obj, action)
    frames = frame_start + np.arange(motion.n_frames, dtype=np.float64)
    for j, bone_name in enumerate(JOINT_NAMES):
        obj.pose.bones[bone_name].rotation_mode = "QUATERNION"
        path = f'pose.bones["{bone_name}"].rotation_quaternion'
        for i in range(4):
            _key(container, path, i, bone_name, frames, quaternions[:, j, i])
    for i in range(3):
        _key(container, 'pose.bones["pelvis"].location', i, "pelvis", frames, location[:, i])
    for c, contact in enumerate(CONTACT_NAMES):
        prop = contact_property(contact)
        obj[prop] = 0.0
        _key(
            container,
            f'["{prop}"]',
            0,
            "Foot contacts",
            frames,
            motion.contacts[:, c],
            constant=True,
        )
    return action
