"""The Generate Dance operator.

In the UI it is modal: the song is analysed and the dance choreographed on a worker thread
(``job.py``) while Blender stays responsive, the panel and the status bar show progress, and Esc
cancels with the scene untouched. The dance is keyed on the main thread when the worker is done,
and the operator's UNDO flag makes that one undo step. Headless (``blender -b``, where timers
never fire), from scripts, and on redo it runs synchronously through ``execute``.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy_extras.io_utils import ExportHelper

from core.errors import MotionBeatError

from . import job as jobs
from . import preferences
from .dance_scene import armature_to_animate, scene_fps, write_dance
from .properties import ACCENT, BEAT_MARKERS, DIVERSITY, ENERGY, SEED

POLL_SECONDS = 0.1


def _smpl_body(assets: preferences.Assets, armature):
    """The SMPL body a new armature gets when the preferences name a model folder, else None.
    Raises ModelFileError if the folder holds no readable SMPL model."""
    if armature is not None or not assets.smpl_folder:
        return None
    from core.body.smpl_mesh import load_smpl_body

    return load_smpl_body(assets.smpl_folder)


def _message(exc: BaseException) -> str:
    """What the user reads: our errors speak for themselves, anything else is named."""
    return str(exc) if isinstance(exc, MotionBeatError) else f"{type(exc).__name__}: {exc}"


class MOTIONBEAT_OT_generate_dance(bpy.types.Operator):
    """Analyse a song and key a beat-synchronised SMPL dance on an armature"""

    bl_idname = "motionbeat.generate_dance"
    bl_label = "Generate Dance"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Song", subtype="FILE_PATH")
    seed: bpy.props.IntProperty(**SEED)
    beat_markers: bpy.props.BoolProperty(**BEAT_MARKERS)
    diversity: bpy.props.FloatProperty(**DIVERSITY)
    energy: bpy.props.FloatProperty(**ENERGY)
    accent: bpy.props.FloatProperty(**ACCENT)
    keep_previous_action: bpy.props.BoolProperty(
        name="Keep Previous Action",
        description="Keep the armature's previous action (with a fake user) instead of letting "
        "Blender drop it when the file is saved",
        default=True,
    )

    @classmethod
    def poll(cls, context):
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to generate a dance")
            return False
        if jobs.running is not None:
            cls.poll_message_set("A dance is being generated; Esc cancels it")
            return False
        return True

    def _controls(self):
        """The choreography settings; the seed goes to ``generate_dance`` on its own."""
        from core.choreography.motion_graph import (
            Controls,  # the pipeline loads when generating, not before
        )

        return Controls(diversity=self.diversity, energy=self.energy, accent=self.accent)

    def _song(self) -> Path | None:
        if not self.filepath:
            self.report({"ERROR"}, "Choose a song first")
            return None
        return Path(bpy.path.abspath(self.filepath))

    def _prepare(self, context):
        """``(assets, armature or None, SMPL body or None, fps)`` of this generation, from the
        preferences and the scene. Raises MotionBeatError for an armature or SMPL folder that
        cannot be used."""
        assets = preferences.assets(context)
        armature = armature_to_animate(context)
        fps = assets.fps or scene_fps(context.scene)
        return assets, armature, _smpl_body(assets, armature), fps

    def _finished(self, analysis, motion, armature) -> set[str]:
        self.report(
            {"INFO"},
            f"Keyed {motion.n_frames} frames on '{armature.name}' "
            f"({analysis.beat_track.tempo_bpm:.0f} BPM, {len(motion.downbeats)} bars)",
        )
        return {"FINISHED"}

    def execute(self, context):
        song = self._song()
        if song is None:
            return {"CANCELLED"}
        try:
            # Everything that can fail on bad input happens before the scene is touched.
            assets, armature, body, fps = self._prepare(context)
            analysis, motion = jobs.generate(song, self.seed, fps, self._controls(), assets)
            armature = write_dance(
                context,
                motion,
                song,
                armature,
                self.beat_markers,
                self.keep_previous_action,
                body,
            )
        except MotionBeatError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return self._finished(analysis, motion, armature)

    def invoke(self, context, event):
        if bpy.app.background:
            return self.execute(context)
        song = self._song()
        if song is None:
            return {"CANCELLED"}
        try:
            assets, armature, self._body, fps = self._prepare(context)
        except MotionBeatError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        # A name, not the object: the user may delete it while the worker runs.
        self._armature_name = armature.name if armature is not None else None
        self._song_path = song
        jobs.running = jobs.GenerationJob(song, self.seed, fps, self._controls(), assets).start()
        window_manager = context.window_manager
        self._timer = window_manager.event_timer_add(POLL_SECONDS, window=context.window)
        window_manager.modal_handler_add(self)
        window_manager.progress_begin(0, 100)
        self._show(context)
        return {"RUNNING_MODAL"}

    def _show(self, context) -> None:
        job = jobs.running
        if job is not None:
            context.window_manager.progress_update(int(100 * job.progress))
            context.workspace.status_text_set(
                f"MotionBeat: {job.stage} in {job.song.name}... Esc to cancel"
            )
        for area in context.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()

    def _stop(self, context) -> jobs.GenerationJob:
        job = jobs.running
        jobs.running = None
        context.window_manager.event_timer_remove(self._timer)
        context.window_manager.progress_end()
        context.workspace.status_text_set(None)
        self._show(context)
        return job

    def modal(self, context, event):
        if event.type == "ESC":
            self._stop(context).cancel()
            self.report({"INFO"}, "Dance generation cancelled; the scene is unchanged")
            return {"CANCELLED"}
        if event.type != "TIMER" or not jobs.running.done:
            if event.type == "TIMER":
                self._show(context)
            return {"PASS_THROUGH"}
        job = self._stop(context)
        if job.error is not None:
            self.report({"ERROR"}, _message(job.error))
            return {"CANCELLED"}
        analysis, motion = job.result
        try:
            armature = None
            if self._armature_name is not None:
                armature = bpy.data.objects.get(self._armature_name)
                if armature is None:
                    raise MotionBeatError(
                        f"'{self._armature_name}' was deleted while its dance was generated"
                    )
            if context.mode != "OBJECT":
                raise MotionBeatError("Left Object Mode while the dance was generated; try again")
            armature = write_dance(
                context,
                motion,
                self._song_path,
                armature,
                self.beat_markers,
                self.keep_previous_action,
                self._body,
            )
        except MotionBeatError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return self._finished(analysis, motion, armature)


# The stubs type ExportHelper.invoke apart from Operator.invoke; Blender's own exporters mix the
# two the same way.
class MOTIONBEAT_OT_export_dance(bpy.types.Operator, ExportHelper):  # type: ignore[misc]
    """Export the selected armature's dance: SMPL .npz, BVH or FBX"""

    bl_idname = "motionbeat.export_dance"
    bl_label = "Export Dance"

    filename_ext = ".npz"
    file_format: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Format",
        items=[
            (".npz", "SMPL .npz", "poses, trans, contacts, beats (MotionBeat's format)"),
            (".bvh", "BVH", "the SMPL skeleton's animation, Y-up, as other tools read BVH"),
            (".fbx", "FBX", "armature, body and animation, through Blender's FBX exporter"),
        ],
        default=".npz",
    )

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        if obj is None or obj.type != "ARMATURE" or obj.animation_data is None:
            cls.poll_message_set("Select an armature with a dance")
            return False
        return context.mode == "OBJECT"

    def check(self, context):
        self.filename_ext = self.file_format
        return super().check(context)

    def execute(self, context):
        from .export import export_dance

        path = Path(bpy.path.ensure_ext(self.filepath, self.file_format))  # type: ignore[attr-defined]
        try:
            export_dance(context, context.active_object, path)
        except (MotionBeatError, RuntimeError, OSError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Exported the dance to {path.name}")
        return {"FINISHED"}
