"""Render a few preview frames of a generated dance, headless, to look at.

    python benchmarks/render_preview.py DANCE.blend OUT_DIR [FIRST LAST STEP]

The batch's preview (``motionbeat_addon.preview``: Workbench, a floor, a camera following the
pelvis), as PNG frames FIRST to LAST every STEP (1 to 150 every 15 by default) in
OUT_DIR/frame_NNNN.png, with the seconds per frame. Blender's module renders without a display
(an EGL warning is normal).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import bpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from motionbeat_addon.preview import add_preview_rig, render_frames  # noqa: E402


def main(blend: Path, out: Path, first: int, last: int, step: int) -> None:
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    scene = bpy.context.scene
    armature = next(o for o in scene.objects if o.type == "ARMATURE")
    add_preview_rig(scene, armature)
    started = time.perf_counter()
    frames = render_frames(scene, out, range(first, last + 1, step))
    seconds = (time.perf_counter() - started) / len(frames)
    print(f"{len(frames)} frames in {out}, {seconds:.2f} s per frame")


if __name__ == "__main__":
    args = sys.argv[1:]
    numbers = [int(a) for a in args[2:5]] or [1, 150, 15]
    main(Path(args[0]), Path(args[1]), *numbers)
