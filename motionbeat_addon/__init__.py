"""MotionBeat for Blender: registration only; the classes live in their own modules."""

import bpy

from .operators import MOTIONBEAT_OT_export_dance, MOTIONBEAT_OT_generate_dance
from .panel import VIEW3D_PT_motionbeat
from .preferences import MotionBeatPreferences
from .properties import MotionBeatSettings

CLASSES = (
    MotionBeatPreferences,
    MotionBeatSettings,
    MOTIONBEAT_OT_generate_dance,
    MOTIONBEAT_OT_export_dance,
    VIEW3D_PT_motionbeat,
)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    # Blender adds properties to its types at run time; the type checker cannot know them.
    bpy.types.Scene.motionbeat = bpy.props.PointerProperty(type=MotionBeatSettings)  # type: ignore[attr-defined]


def unregister():
    del bpy.types.Scene.motionbeat  # type: ignore[attr-defined]
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
