"""Render a few Workbench frames of a generated dance, headless, to look at.

    python benchmarks/render_preview.py DANCE.blend OUT_DIR [FIRST LAST STEP]

Adds a floor and a camera that follows the armature from the front, renders frames FIRST to
LAST every STEP (1 to 150 every 15 by default) with the Workbench engine at 480x360, and writes
OUT_DIR/frame_NNNN.png. Blender's module renders without a display (an EGL warning is normal).
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy


def main(blend: Path, out: Path, first: int, last: int, step: int) -> None:
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = 480, 360
    armature = next(o for o in scene.objects if o.type == "ARMATURE")
    bpy.ops.mesh.primitive_plane_add(size=8.0)
    camera = bpy.data.objects.new("preview camera", bpy.data.cameras.new("preview camera"))
    scene.collection.objects.link(camera)
    scene.camera = camera
    aim = bpy.data.objects.new("preview aim", None)  # the camera looks at the pelvis
    scene.collection.objects.link(aim)
    track = camera.constraints.new("TRACK_TO")
    track.target = aim
    out.mkdir(parents=True, exist_ok=True)
    for frame in range(first, last + 1, step):
        scene.frame_set(frame)
        pelvis = armature.matrix_world @ armature.pose.bones["pelvis"].head
        aim.location = pelvis
        camera.location = (pelvis.x, pelvis.y - 4.5, 1.3)  # SMPL faces -Y in Blender's Z-up
        scene.render.filepath = str(out / f"frame_{frame:04d}.png")
        bpy.ops.render.render(write_still=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    numbers = [int(a) for a in args[2:5]] or [1, 150, 15]
    main(Path(args[0]), Path(args[1]), *numbers)
