"""The MotionBeat tab in the 3D viewport's sidebar."""

import bpy

from . import job as jobs


class VIEW3D_PT_motionbeat(bpy.types.Panel):
    bl_label = "MotionBeat"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "MotionBeat"

    def draw(self, context):
        settings = context.scene.motionbeat
        layout = self.layout
        layout.prop(settings, "audio_path")
        layout.prop(settings, "seed")
        layout.prop(settings, "beat_markers")
        layout.prop(settings, "diversity", slider=True)
        layout.prop(settings, "energy", slider=True)
        layout.prop(settings, "accent", slider=True)
        if jobs.running is not None:
            layout.progress(
                factor=jobs.running.progress,
                type="BAR",
                text=f"{jobs.running.stage.capitalize()}... Esc to cancel",
            )
        operator = layout.operator("motionbeat.generate_dance", icon="SOUND")
        operator.filepath = settings.audio_path
        operator.seed = settings.seed
        operator.beat_markers = settings.beat_markers
        operator.diversity = settings.diversity
        operator.energy = settings.energy
        operator.accent = settings.accent
        obj = context.active_object
        if obj is not None and obj.type == "ARMATURE" and obj.select_get():
            layout.label(text=f"Animates '{obj.name}'", icon="ARMATURE_DATA")
        else:
            layout.label(text="Creates a new SMPL armature", icon="ADD")
        layout.operator("motionbeat.export_dance", icon="EXPORT")
