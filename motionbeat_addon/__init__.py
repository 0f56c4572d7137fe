"""MotionBeat for Blender: registration only; the classes live in their own modules."""

import bpy

from .operators import MOTIONBEAT_OT_generate_dance
from .panel import VIEW3D_PT_motionbeat
from .properties import MotionBeatSettings

CLASSES = (MotionBeatSettings, MOTIONBEAT_OT_generate_dance, VIEW3D_PT_motionbeat)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.motionbeat = bpy.props.PointerProperty(type=MotionBeatSettings)


def unregister():
    del bpy.types.Scene.motionbeat
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
