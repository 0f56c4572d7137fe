"""Settings the panel shows, stored on the scene.

The panel's settings and the operator's matching properties are defined once, here, so that
their names, limits and defaults cannot drift apart.
"""

from typing import Any

import bpy

SEED: dict[str, Any] = {
    "name": "Seed",
    "description": "The same song and seed give the same dance",
    "default": 0,
    "min": 0,
}
BEAT_MARKERS: dict[str, Any] = {
    "name": "Beat Markers",
    "description": "Mark every beat, not only downbeats",
    "default": False,
}
DIVERSITY: dict[str, Any] = {
    "name": "Diversity",
    "description": "How different dances of different seeds are, from 0 (the best-scoring "
    "dance) to 1",
    "default": 0.3,  # core.choreography.motion_graph.Controls.diversity; a test holds them equal
    "min": 0.0,
    "max": 1.0,
}
ENERGY: dict[str, Any] = {
    "name": "Energy",
    "description": "Calmer (-1) or livelier (1) moves than the music's loudness suggests",
    "default": 0.0,
    "min": -1.0,
    "max": 1.0,
}
ACCENT: dict[str, Any] = {
    "name": "Beat Accent",
    "description": "How much the dancer slows into the strong beats and hurries between them, "
    "from 0 (the capture's own timing) to 0.9",
    "default": 0.5,  # core.choreography.motion_graph.Controls.accent; a test holds them equal
    "min": 0.0,
    "max": 0.9,
}


class MotionBeatSettings(bpy.types.PropertyGroup):
    audio_path: bpy.props.StringProperty(
        name="Song", description="Audio file to dance to (wav, ogg, flac, mp3)", subtype="FILE_PATH"
    )
    seed: bpy.props.IntProperty(**SEED)
    beat_markers: bpy.props.BoolProperty(**BEAT_MARKERS)
    diversity: bpy.props.FloatProperty(**DIVERSITY)
    energy: bpy.props.FloatProperty(**ENERGY)
    accent: bpy.props.FloatProperty(**ACCENT)
