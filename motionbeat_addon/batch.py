"""Headless batch: songs in; .blend files, preview videos and JSON summaries out.

    blender -b --factory-startup -P motionbeat_addon/batch.py -- SONG_OR_FOLDER --out DIR
        [--render] [--seed N] [--alternatives K] [--fps 30] [--beat-markers] [--export npz ...]
        [--smpl-folder DIR]
    python -m motionbeat_addon.batch SONG_OR_FOLDER --out DIR ...       (the bpy module)
    python -m motionbeat_addon.batch SONG --motion DANCE.npz --out DANCE.blend

For each song (the file, or every wav, ogg, flac and mp3 in the folder), writes DIR/STEM.blend
(with K alternatives, STEM_alt1.blend .. for seeds N+1 .. N+K-1), DIR/STEM.mp4 (STEM_altK.mp4)
with ``--render``: a Workbench preview with the song's audio, DIR/STEM.npz, .bvh or .fbx with
``--export`` (``motionbeat_addon.export``), and DIR/STEM.json: what was made,
the song's tempo, time signature, beats and bars, the seconds it took, or the error. A song that
fails does not stop the others. Exit status: 0 when every song succeeded, 1 when any failed (one
line on stderr for each), 2 for a malformed command line. ``--motion`` keys an existing dance
into one .blend instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if not __package__:
    # Run as a file (blender -P .../batch.py): import the add-on package that holds this file.
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parent))
    __package__ = _here.name  # noqa: A001 - PEP 366, makes the relative imports below work

import bpy  # noqa: E402

from core import options  # noqa: E402
from core.atomic import atomic_write, check_outputs, written_together  # noqa: E402
from core.body.motion import Motion  # noqa: E402
from core.body.smpl_mesh import SmplBody, load_smpl_body  # noqa: E402
from core.errors import MotionBeatError  # noqa: E402
from core.generate import generate_dances  # noqa: E402

from . import register  # noqa: E402
from .dance_scene import write_dance  # noqa: E402
from .export import export_dance  # noqa: E402
from .preview import add_preview_rig, render_video  # noqa: E402

AUDIO_SUFFIXES = (".wav", ".ogg", ".flac", ".mp3")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="motionbeat-batch", description=__doc__.split("\n")[0])
    parser.add_argument("song", type=Path, help="audio file (wav, ogg, flac, mp3) or a folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder (.blend: --motion)")
    parser.add_argument(
        "--seed", type=options.seed, default=0, help="the same seed, the same dance (0 or more)"
    )
    parser.add_argument(
        "--alternatives", type=options.alternatives, default=1, help="K dances per song, 1 to 100"
    )
    parser.add_argument("--render", action="store_true", help="also a Workbench .mp4 preview")
    parser.add_argument(
        "--fps", type=options.number_in(*options.FPS_RANGE, int), default=30,
        help="scene frame rate, 1 to 240",
    )  # fmt: skip
    parser.add_argument("--motion", type=Path, help="key this .npz into --out DANCE.blend")
    parser.add_argument("--beat-markers", action="store_true", help="mark every beat")
    parser.add_argument(
        "--smpl-folder", type=Path, help="your SMPL model (SMPL_NEUTRAL.npz): the real body mesh"
    )
    parser.add_argument(
        "--export", action="append", default=[], choices=("npz", "bvh", "fbx"),
        help="also write the dance in this format; repeat for several",
    )  # fmt: skip
    return parser.parse_args(argv)


def _fresh_scene() -> bpy.types.Scene:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if not hasattr(bpy.types, "MOTIONBEAT_OT_generate_dance"):
        register()
    return bpy.context.scene


def _save(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(path.resolve()), check_existing=False)


def key_dance(song: Path, motion: Motion, out: Path, beat_markers: bool = False) -> None:
    """Key ``motion`` with its song into a fresh scene and save it as ``out``.

    Raises MotionBeatError if Blender reports the file saved but it is not there.
    """
    _fresh_scene()
    write_dance(bpy.context, motion, song.resolve(), beat_markers=beat_markers)
    _save(out)
    if not out.is_file():
        raise MotionBeatError(f"{out}: Blender reported it written, but it is not there")


def dance_song(
    song: Path, args: argparse.Namespace, body: SmplBody | None, name: str | None = None
) -> dict:
    """Every alternative of one song: .blend (and .mp4) files named ``name`` (the song's stem by
    default), new armatures with ``body``'s mesh (``--smpl-folder``) or the proxy. Returns the
    song's summary.

    Raises MotionBeatError or RuntimeError (from Blender) when the song cannot be danced.
    """
    started = time.perf_counter()
    seeds = range(args.seed, args.seed + args.alternatives)
    analysis, motions = generate_dances(song, seeds, args.fps)
    track = analysis.beat_track
    summary: dict = {
        "song": str(song),
        "dances": [],
        "duration_s": round(analysis.duration, 3),
        **track.summary(),
    }
    for alternative, (seed, motion) in enumerate(zip(seeds, motions, strict=True)):
        name = name or song.stem
        stem = f"{name}_alt{alternative}" if alternative else name
        scene = _fresh_scene()
        armature = write_dance(
            bpy.context, motion, song.resolve(), beat_markers=args.beat_markers, body=body
        )
        blend = args.out / f"{stem}.blend"
        _save(blend)
        dance = {"seed": seed, "blend": str(blend), "frames": motion.n_frames}
        for suffix in args.export:
            dance[suffix] = str(export_dance(bpy.context, armature, args.out / f"{stem}.{suffix}"))
        if args.render:
            add_preview_rig(scene, armature)
            dance["video"] = str(render_video(scene, args.out / f"{stem}.mp4"))
        missing = [f for k, f in dance.items() if k != "seed" and k != "frames"]
        missing = [f for f in missing if not Path(f).is_file()]
        if missing:
            raise MotionBeatError(f"{missing[0]}: Blender reported it written, but it is not there")
        summary["dances"].append(dance)
    summary.update(status="ok", seconds=round(time.perf_counter() - started, 2))
    return summary


def output_names(songs: list[Path]) -> dict[Path, str]:
    """Each song's output stem: its own, or with its suffix where songs share one (``same.ogg``
    and ``same.wav`` give ``same_ogg`` and ``same_wav``), so no song overwrites another's."""
    stems = [song.stem for song in songs]
    return {
        song: f"{song.stem}_{song.suffix.lstrip('.').lower()}"
        if stems.count(song.stem) > 1
        else song.stem
        for song in songs
    }


def songs_in(path: Path) -> list[Path]:
    """The song, or a folder's audio files in name order. Raises MotionBeatError if none."""
    if path.is_dir():
        songs = sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if not songs:
            raise MotionBeatError(f"{path}: holds no wav, ogg, flac or mp3 files")
        return songs
    return [path]


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[-1] if text else type(exc).__name__).removeprefix("Error: ")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        if args.motion is not None:
            check_outputs([args.song, args.motion], [args.out])
            motion = Motion.load_npz(args.motion)
            with written_together([args.out]) as (out,):
                key_dance(args.song, motion, out, args.beat_markers)
            print(f"wrote {args.out}")
            return 0
        songs = songs_in(args.song)
        body = load_smpl_body(args.smpl_folder) if args.smpl_folder else None
        args.out.mkdir(parents=True, exist_ok=True)
        if not os.access(args.out, os.W_OK):
            raise MotionBeatError(f"{args.out}: the output folder cannot be written")
    except (MotionBeatError, RuntimeError, OSError) as exc:
        print(f"motionbeat: {_message(exc)}", file=sys.stderr)
        return 1
    failed = 0
    for song, name in output_names(songs).items():
        try:
            summary = dance_song(song, args, body, name)
        except Exception as exc:  # one song's failure, of any kind, never stops the others
            failed += 1
            summary = {"song": str(song), "status": "error", "error": _message(exc)}
            print(f"motionbeat: {song.name}: {_message(exc)}", file=sys.stderr)
        with atomic_write(args.out / f"{name}.json") as fh:  # after the files it names
            fh.write(json.dumps(summary, indent=1).encode())
        print(f"{song.name}: {summary['status']}")
    return 1 if failed else 0


if __name__ == "__main__":
    # Under Blender, this script's arguments follow "--"; under the bpy module, the script name.
    sys.exit(main(sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:]))
