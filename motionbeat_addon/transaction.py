"""All of a generation or none of it: what writing a dance adds to a file is taken back on failure.

Blender's undo covers an operator that finishes, but not one that raises halfway, nor the
headless batch, where there is no undo. ``rolled_back_on_failure`` notes what exists before the
dance is written and, if anything raises, removes every data block added since (objects,
armatures, meshes, actions, sounds), the strips and markers added, puts back the markers the add-on
replaced, the frame range and rate, and the armature's previous action and custom properties.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import bpy

from .timeline import strips


def _collections() -> list:
    return [
        bpy.data.objects,
        bpy.data.armatures,
        bpy.data.meshes,
        bpy.data.actions,
        bpy.data.sounds,
    ]


@contextmanager
def rolled_back_on_failure(
    scene: bpy.types.Scene, armature: bpy.types.Object | None
) -> Iterator[None]:
    """Run the body; if it raises, leave ``scene`` and the file as they were, then re-raise."""
    existing = [{block.as_pointer() for block in collection} for collection in _collections()]
    had_editor = scene.sequence_editor is not None
    old_strips = {strip.as_pointer() for strip in strips(scene)}
    markers = [(m.name, m.frame, m.camera, m.select) for m in scene.timeline_markers]
    frames = (scene.frame_start, scene.frame_end, scene.frame_current)
    rate = (scene.render.fps, scene.render.fps_base)
    animation = armature.animation_data if armature is not None else None
    action = animation.action if animation is not None else None
    slot = getattr(animation, "action_slot", None) if animation is not None else None
    fake_user = action.use_fake_user if action is not None else False
    properties = set(armature.keys()) if armature is not None else set()
    try:
        yield
    except BaseException:
        if armature is not None:
            if armature.animation_data is not None:
                armature.animation_data.action = action
                if slot is not None:
                    armature.animation_data.action_slot = slot
            if action is not None:
                action.use_fake_user = fake_user
            for name in set(armature.keys()) - properties:
                del armature[name]
        for strip in [s for s in strips(scene) if s.as_pointer() not in old_strips]:
            strips(scene).remove(strip)
        if not had_editor and scene.sequence_editor is not None:
            scene.sequence_editor_clear()
        scene.timeline_markers.clear()
        for name, frame, camera, select in markers:
            marker = scene.timeline_markers.new(name, frame=frame)
            marker.camera, marker.select = camera, select
        # Children before parents: the body mesh object goes before its mesh, and so on.
        for collection, before in zip(_collections(), existing, strict=True):
            for block in [b for b in collection if b.as_pointer() not in before]:
                collection.remove(block)
        scene.frame_start, scene.frame_end, scene.frame_current = frames
        scene.render.fps, scene.render.fps_base = rate
        raise
