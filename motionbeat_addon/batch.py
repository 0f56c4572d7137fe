"""Headless batch: a song in, a .blend with the dance keyed out.

    blender -b --factory-startup -P motionbeat_addon/batch.py -- SONG --out DANCE.blend [--seed N]
    python -m motionbeat_addon.batch SONG --out DANCE.blend [--seed N]     (the bpy module)

``--motion DANCE.npz`` keys an existing dance instead of generating one. Exit status 0 on
success; 1 with one line on stderr when the song, the motion or the output cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if not __package__:
    # Run as a file (blender -P .../batch.py): import the add-on package that holds this file.
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parent))
    __package__ = _here.name  # noqa: A001 - PEP 366, makes the relative imports below work

import bpy  # noqa: E402

from core.errors import MotionBeatError  # noqa: E402
from core.motion import Motion  # noqa: E402

from . import register  # noqa: E402
from .dance_scene import write_dance  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="motionbeat-batch", description=__doc__.split("\n")[0])
    parser.add_argument("song", type=Path, help="audio file: wav, ogg, flac or mp3")
    parser.add_argument("--out", type=Path, required=True, help="DANCE.blend to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fps", type=int, default=30, help="scene frame rate")
    parser.add_argument("--motion", type=Path, help="key this .npz instead of generating")
    parser.add_argument("--beat-markers", action="store_true", help="mark every beat")
    return parser.parse_args(argv)


def _set_fps(scene: bpy.types.Scene, fps: float) -> None:
    scene.render.fps = max(1, round(fps))
    scene.render.fps_base = scene.render.fps / fps


def run(args: argparse.Namespace) -> None:
    """Build the scene and save it. Raises MotionBeatError or RuntimeError (from Blender)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if not hasattr(bpy.types, "MOTIONBEAT_OT_generate_dance"):
        register()
    scene = bpy.context.scene
    if args.motion is not None:
        motion = Motion.load_npz(args.motion)
        _set_fps(scene, motion.fps)
        write_dance(bpy.context, motion, args.song.resolve(), beat_markers=args.beat_markers)
    else:
        _set_fps(scene, args.fps)
        # Blender raises RuntimeError carrying the operator's error report. The operator is
        # registered at run time, so the type checker cannot see it.
        bpy.ops.motionbeat.generate_dance(  # type: ignore[attr-defined]
            filepath=str(args.song.resolve()), seed=args.seed, beat_markers=args.beat_markers
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(args.out.resolve()), check_existing=False)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except (MotionBeatError, RuntimeError, OSError) as exc:
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        print(f"motionbeat: {message.removeprefix('Error: ')}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    # Under Blender, this script's arguments follow "--"; under the bpy module, the script name.
    sys.exit(main(sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:]))
