"""A preview render of a keyed dance: Workbench, a floor, a camera that follows the dancer.

Used by the headless batch (``--render``: an .mp4 with the song's audio) and by
``benchmarks/render_preview.py`` (PNG frames to look at).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import bpy

RESOLUTION = (640, 360)
CAMERA_OFFSET = (0.0, -6.5, 1.1)  # metres: in front of the pelvis (SMPL faces -Y in Z-up)
PELVIS = "pelvis"


def add_preview_rig(
    scene: bpy.types.Scene,
    armature: bpy.types.Object,
    camera_offset: tuple[float, float, float] = CAMERA_OFFSET,
) -> bpy.types.Object:
    """Set Workbench at ``RESOLUTION`` and add a floor and a camera that follows the pelvis
    (constraints, so every frame of an animation render follows it) from ``camera_offset``
    metres. Returns the camera."""
    scene.render.engine = "BLENDER_WORKBENCH"  # type: ignore[assignment]  # stubs list EEVEE
    scene.render.resolution_x, scene.render.resolution_y = RESOLUTION
    scene.render.resolution_percentage = 100
    floor = bpy.data.objects.new("preview floor", _floor_mesh())
    scene.collection.objects.link(floor)
    aim = bpy.data.objects.new("preview aim", None)
    scene.collection.objects.link(aim)
    follow = cast(bpy.types.CopyLocationConstraint, aim.constraints.new("COPY_LOCATION"))
    follow.target, follow.subtarget = armature, PELVIS
    camera = bpy.data.objects.new("preview camera", bpy.data.cameras.new("preview camera"))
    scene.collection.objects.link(camera)
    camera.location = camera_offset
    # x and y with the dancer, height fixed
    ride = cast(bpy.types.CopyLocationConstraint, camera.constraints.new("COPY_LOCATION"))
    ride.target, ride.use_z, ride.use_offset = aim, False, True
    look = cast(bpy.types.TrackToConstraint, camera.constraints.new("TRACK_TO"))
    look.target = aim
    scene.camera = camera
    return camera


def _floor_mesh() -> bpy.types.Mesh:
    mesh = bpy.data.meshes.new("preview floor")
    half = 4.0
    corners = [(-half, -half, 0.0), (half, -half, 0.0), (half, half, 0.0), (-half, half, 0.0)]
    mesh.from_pydata(corners, [], [(0, 1, 2, 3)])
    return mesh


def render_video(scene: bpy.types.Scene, path: Path) -> Path:
    """Render the scene's frame range to an H.264 .mp4 with its sound strips as AAC audio."""
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):  # Blender 5.0 groups video formats apart
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    scene.render.ffmpeg.format = "MPEG4"
    scene.render.ffmpeg.codec = "H264"
    scene.render.ffmpeg.audio_codec = "AAC"
    scene.render.filepath = str(path)
    bpy.ops.render.render(animation=True)
    return path


def render_frames(scene: bpy.types.Scene, folder: Path, frames: range) -> list[Path]:
    """Render single frames to ``folder/frame_NNNN.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for frame in frames:
        scene.frame_set(frame)
        scene.render.filepath = str(folder / f"frame_{frame:04d}.png")
        bpy.ops.render.render(write_still=True)
        written.append(folder / f"frame_{frame:04d}.png")
    return written
