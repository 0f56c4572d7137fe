"""A contact sheet of the product's dance for a song, to look at: Workbench frames every half
second over ten seconds from a camera close enough to see the limbs, tiled into one PNG.

    python benchmarks/contact_sheet.py SONG OUT.png [--start 20] [--library cmu] [--seed 0]

The dance is ``generate_dance`` at 30 fps, keyed by the add-on (``write_dance``) into a fresh
scene, rendered headless with the batch's preview rig (``motionbeat_addon.preview``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import bpy
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.choreography.library import load_libraries  # noqa: E402
from core.generate import generate_dance  # noqa: E402
from motionbeat_addon.dance_scene import FRAME_START, write_dance  # noqa: E402
from motionbeat_addon.preview import add_preview_rig, render_frames  # noqa: E402

CLOSE_CAMERA = (0.0, -4.8, 1.0)  # metres from the pelvis: the whole body fills the height
SECONDS, STEP_SECONDS, COLUMNS = 10.0, 0.5, 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("song", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--start", type=float, default=20.0, help="seconds into the song")
    parser.add_argument("--library", default="cmu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    analysis, motion = generate_dance(
        args.song, seed=args.seed, fps=30.0, library=load_libraries(args.library)
    )
    bpy.ops.wm.read_factory_settings(use_empty=True)
    armature = write_dance(bpy.context, motion, args.song.resolve())
    add_preview_rig(bpy.context.scene, armature, CLOSE_CAMERA)
    start = min(args.start, max(0.0, motion.duration - SECONDS))
    times = start + np.arange(0.0, SECONDS, STEP_SECONDS)
    frames = [FRAME_START + int(round(t * motion.fps)) for t in times]
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for frame in frames:
            paths += render_frames(bpy.context.scene, Path(folder), range(frame, frame + 1))
        tiles = [Image.open(p).convert("RGB") for p in paths]
        width, height = tiles[0].size
        rows = -(-len(tiles) // COLUMNS)
        sheet = Image.new("RGB", (COLUMNS * width, rows * height), "white")
        beats = analysis.beat_track.beats
        for i, (tile, t) in enumerate(zip(tiles, times, strict=True)):
            beat = np.interp(t, beats, np.arange(len(beats)))
            ImageDraw.Draw(tile).text((8, 8), f"{t:.1f} s  beat {beat:.1f}", fill="white")
            sheet.paste(tile, ((i % COLUMNS) * width, (i // COLUMNS) * height))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(args.out)
    tempo = analysis.beat_track.tempo_bpm
    print(f"wrote {args.out}: {len(tiles)} frames from {start:.1f} s, {tempo:.0f} BPM")


if __name__ == "__main__":
    main()
