"""Turning core's dance into Blender data: armature, keys, sound strip, markers, frame range."""

from __future__ import annotations

from pathlib import Path

import bpy

from core.body.motion import Motion
from core.body.smpl_mesh import SmplBody

from .armature import build_proxy_body, build_smpl_armature, build_smpl_body, check_smpl_armature
from .keying import key_dance
from .timeline import (
    add_beat_markers,
    add_sound_strip,
    remove_earlier_song_strips,
    set_frame_range,
    set_frame_rate,
)
from .transaction import rolled_back_on_failure

FRAME_START = 1


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def armature_to_animate(context: bpy.types.Context) -> bpy.types.Object | None:
    """The armature to animate (checked to be SMPL): the active object if it is a selected
    armature, else the one selected armature if exactly one is; None for a new one.

    Raises ArmatureError if that armature is not a usable SMPL armature.
    """
    obj = context.active_object
    if obj is None or obj.type != "ARMATURE" or not obj.select_get():
        selected = [o for o in context.selected_objects if o.type == "ARMATURE"]
        if len(selected) != 1:
            return None
        obj = selected[0]
    check_smpl_armature(obj)
    return obj


def write_dance(
    context: bpy.types.Context,
    motion: Motion,
    song: Path,
    armature: bpy.types.Object | None = None,
    beat_markers: bool = False,
    keep_previous_action: bool = True,
    body: SmplBody | None = None,
) -> bpy.types.Object:
    """Put a dance in the scene and return the armature it is keyed on.

    motion : the dance; the scene takes its frame rate. song : the audio file it was made for
    armature : an SMPL armature to animate, or None to build one, with a proxy body or, given
        ``body`` (``core.body.smpl_mesh.load_smpl_body``), at its joints with its mesh
    beat_markers : add a marker on every beat, not only on downbeats
    keep_previous_action : keep the armature's previous action (fake user) or let it go
    Anything that raises on the way leaves the scene and the file as they were.
    """
    scene = context.scene
    with rolled_back_on_failure(scene, armature):
        if armature is None:
            armature = build_smpl_armature(context, body=body)
            if body is None:
                build_proxy_body(context, armature)
            else:
                build_smpl_body(context, armature, body)
        if abs(scene_fps(scene) - motion.fps) > 1e-6:
            set_frame_rate(scene, motion.fps)
        key_dance(armature, motion, f"{song.stem} dance", FRAME_START, keep_previous_action)
        set_frame_range(scene, motion.n_frames, FRAME_START)
        strip = add_sound_strip(scene, song, FRAME_START)
        add_beat_markers(
            scene, motion.downbeats, motion.beats if beat_markers else None, motion.fps, FRAME_START
        )
    # Only once the dance is written: a failure above leaves the earlier song in place.
    remove_earlier_song_strips(scene, keep=strip)
    return armature
