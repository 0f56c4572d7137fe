"""The add-on's preferences (Edit > Preferences > Add-ons > MotionBeat)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import bpy


class MotionBeatPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    music_encoder: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Music Encoder",
        description="An exported MotionBeat music encoder (.npz: python -m training.export "
        "CHECKPOINT --out ENCODER.npz); empty: the built-in one. The motion library must be "
        "built with the same checkpoint",
        subtype="FILE_PATH",
    )
    motion_library: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Motion Library",
        description="A motion library (.npz, motionbeat library build), a folder of them, or "
        "'procedural' for the built-in procedural moves; empty: the built-in real dance "
        "(CMU motion capture)",
        subtype="FILE_PATH",
    )
    smpl_folder: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="SMPL Model Folder",
        description="Folder with your licensed SMPL model (SMPL_NEUTRAL.npz, as smplx reads "
        "it): new armatures get the real body mesh; empty: a proxy body",
        subtype="DIR_PATH",
    )
    default_fps: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Default Frame Rate",
        description="Frame rate to set the scene to when a dance is generated; 0 keeps the "
        "scene's own",
        default=0,
        min=0,
        max=240,
    )

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "music_encoder")
        layout.prop(self, "motion_library")
        layout.prop(self, "smpl_folder")
        layout.prop(self, "default_fps")


@dataclass(frozen=True)
class Assets:
    """What the preferences choose, resolved to absolute paths ("" for the built-in)."""

    music_encoder: str = ""
    motion_library: str = ""
    smpl_folder: str = ""
    fps: int = 0


def assets(context: bpy.types.Context) -> Assets:
    """The preferences in force; the defaults where the add-on runs unregistered as an add-on
    (the batch script under the bpy module)."""
    addon: bpy.types.Addon | None = context.preferences.addons.get(__package__)
    if addon is None or addon.preferences is None:
        return Assets()
    prefs = cast(MotionBeatPreferences, addon.preferences)
    return Assets(
        music_encoder=_absolute(prefs.music_encoder),
        motion_library=_absolute(prefs.motion_library),
        smpl_folder=_absolute(prefs.smpl_folder),
        fps=prefs.default_fps,
    )


def _absolute(path: str) -> str:
    """A path made absolute; "" and the names of built-in libraries ("cmu", "procedural") as
    they are."""
    if not path or path in ("cmu", "procedural"):
        return path
    return bpy.path.abspath(path)
