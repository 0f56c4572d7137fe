"""Settings the panel shows, stored on the scene."""

import bpy


class MotionBeatSettings(bpy.types.PropertyGroup):
    audio_path: bpy.props.StringProperty(
        name="Song", description="Audio file to dance to (wav, ogg, flac, mp3)", subtype="FILE_PATH"
    )
    seed: bpy.props.IntProperty(
        name="Seed", description="The same song and seed give the same dance", default=0, min=0
    )
    beat_markers: bpy.props.BoolProperty(
        name="Beat Markers", description="Mark every beat, not only downbeats", default=False
    )
    diversity: bpy.props.FloatProperty(
        name="Diversity",
        description="How different dances of different seeds are, from 0 to 1",
        default=0.3,
        min=0.0,
        max=1.0,
    )
    energy: bpy.props.FloatProperty(
        name="Energy",
        description="Calmer (-1) or livelier (1) moves than the music's loudness suggests",
        default=0.0,
        min=-1.0,
        max=1.0,
    )
