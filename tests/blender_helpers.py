"""Helpers for tests that run inside the real bpy module."""

from __future__ import annotations

import numpy as np

from core.body.skeleton import JOINT_NAMES


def scene_snapshot(bpy) -> dict:
    """What a generation could add or change, to compare before and after."""
    scene = bpy.context.scene
    editor = scene.sequence_editor
    return {
        "objects": sorted(o.name for o in bpy.data.objects),
        "actions": sorted(a.name for a in bpy.data.actions),
        "meshes": sorted(m.name for m in bpy.data.meshes),
        "armatures": sorted(a.name for a in bpy.data.armatures),
        "sounds": sorted(s.name for s in bpy.data.sounds),
        "strips": sorted(s.name for s in editor.strips) if editor else [],
        "markers": sorted((m.name, m.frame) for m in scene.timeline_markers),
        "frame_range": (scene.frame_start, scene.frame_end),
        "frame_rate": (scene.render.fps, scene.render.fps_base),
    }


def evaluated_joint_positions(bpy, armature, frames) -> np.ndarray:
    """World positions of the 24 bone heads at each Blender frame: (len(frames), 24, 3)."""
    scene = bpy.context.scene
    positions = []
    for frame in frames:
        scene.frame_set(int(frame))
        world = armature.matrix_world
        positions.append([list(world @ armature.pose.bones[name].head) for name in JOINT_NAMES])
    return np.array(positions)
