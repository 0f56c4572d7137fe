"""MotionBeat engine: music analysis, the SMPL skeleton, choreography and metrics.

This package never imports bpy; ``motionbeat_addon`` turns its arrays into Blender data.
"""

__version__ = "0.1.0"
