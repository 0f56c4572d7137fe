"""The Generate Dance operator: reads its properties, calls core once, writes the result."""

from __future__ import annotations

from pathlib import Path

import bpy

from core.errors import MotionBeatError
from core.generate import generate_dance

from .dance_scene import armature_to_animate, scene_fps, write_dance


class MOTIONBEAT_OT_generate_dance(bpy.types.Operator):
    """Analyse a song and key a beat-synchronised SMPL dance on an armature"""

    bl_idname = "motionbeat.generate_dance"
    bl_label = "Generate Dance"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Song", subtype="FILE_PATH")
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0)
    beat_markers: bpy.props.BoolProperty(name="Beat Markers", default=False)

    @classmethod
    def poll(cls, context):
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to generate a dance")
            return False
        return True

    def execute(self, context):
        if not self.filepath:
            self.report({"ERROR"}, "Choose a song first")
            return {"CANCELLED"}
        song = Path(bpy.path.abspath(self.filepath))
        window_manager = context.window_manager
        window_manager.progress_begin(0, 2)
        try:
            # Everything that can fail on bad input happens before the scene is touched.
            armature = armature_to_animate(context)
            analysis, motion = generate_dance(song, seed=self.seed, fps=scene_fps(context.scene))
            window_manager.progress_update(1)
            armature = write_dance(context, motion, song, armature, self.beat_markers)
        except MotionBeatError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        finally:
            window_manager.progress_end()
        self.report(
            {"INFO"},
            f"Keyed {motion.n_frames} frames on '{armature.name}' "
            f"({analysis.beat_track.tempo_bpm:.0f} BPM, {len(motion.downbeats)} bars)",
        )
        return {"FINISHED"}
