"""MotionBeat for Blender: registration only; the classes live in their own modules.

Imports nothing when loaded, so that ``motionbeat_addon.cli`` (the ``motionbeat`` command)
starts without bpy; ``register`` imports the classes.
"""


def _classes() -> tuple:
    from .operators import MOTIONBEAT_OT_export_dance, MOTIONBEAT_OT_generate_dance
    from .panel import VIEW3D_PT_motionbeat
    from .preferences import MotionBeatPreferences
    from .properties import MotionBeatSettings

    return (
        MotionBeatPreferences,
        MotionBeatSettings,
        MOTIONBEAT_OT_generate_dance,
        MOTIONBEAT_OT_export_dance,
        VIEW3D_PT_motionbeat,
    )


def register():
    import bpy

    from .properties import MotionBeatSettings

    for cls in _classes():
        bpy.utils.register_class(cls)
    # Blender adds properties to its types at run time; the type checker cannot know them.
    bpy.types.Scene.motionbeat = bpy.props.PointerProperty(type=MotionBeatSettings)  # type: ignore[attr-defined]


def unregister():
    import bpy

    del bpy.types.Scene.motionbeat  # type: ignore[attr-defined]
    for cls in reversed(_classes()):
        bpy.utils.unregister_class(cls)
