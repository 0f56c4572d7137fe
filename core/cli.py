"""The ``motionbeat`` command line.

    motionbeat analyze SONG [--json] [--tracker motionbeat|librosa]
    motionbeat generate SONG --out DANCE.npz|DANCE.blend [--out ...] [--seed N] [--fps 30]
        [--alternatives K] [--choreographer v2|v1] [--library LIB.npz] [--diversity 0.3]
        [--energy 0] [--prefer TAG] [--avoid TAG] [--tracker motionbeat|librosa]
    motionbeat embed SONG --out EMB.npz [--model MODEL.pt] [--device auto|cpu|cuda]
    motionbeat convert MOTION.bvh|.pkl|.npz --out OUT.npz|OUT.bvh [--fps 30]
    motionbeat library build [SOURCES ...] [--procedural] [--tag TAG] --out LIB.npz
    motionbeat demo-song OUT.wav

Errors print one line on stderr and exit with status 1 (2 for a malformed command line).
A ``.blend`` output keys the dance with the add-on in Blender's Python module (``bpy``), run as
a separate process so that this package never imports bpy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from core import options
from core.analysis import DEFAULT_TRACKER, TRACKERS
from core.atomic import check_outputs
from core.choreographer import DEFAULT_FPS
from core.demo_song import write_demo_song
from core.errors import MotionBeatError, MotionFileError
from core.metrics import dance_metrics

OUTPUT_SUFFIXES = (".npz", ".blend")


class BlenderOutputError(MotionBeatError):
    """Keying the dance into a .blend file failed."""


def _analyze(args: argparse.Namespace) -> None:
    from core.analysis import analyze_song

    analysis = analyze_song(args.song, args.tracker)
    track = analysis.beat_track
    summary = {
        "tracker": track.tracker,
        "tempo_bpm": round(track.tempo_bpm, 3),
        "time_signature": f"{track.beats_per_bar}/4",
        "beats_per_bar": track.beats_per_bar,
        "confidence": None if track.confidence is None else round(track.confidence, 3),
        "duration": round(analysis.duration, 3),
        "beats": [round(t, 4) for t in track.beats.tolist()],
        "downbeats": [round(t, 4) for t in track.downbeats.tolist()],
        "tempo_curve": [[round(t, 4), round(bpm, 2)] for t, bpm in track.tempo_curve.tolist()],
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{track.tempo_bpm:.1f} BPM in {summary['time_signature']}, {len(track.beats)} beats, "
            f"{len(track.downbeats)} bars, first downbeat at {track.downbeats[0]:.2f} s "
            f"({track.tracker})"
        )


BATCH_SCRIPT = Path(__file__).resolve().parents[1] / "motionbeat_addon" / "batch.py"


def write_blend(song: Path, dance_npz: Path, out: Path) -> None:
    """Key the dance in ``dance_npz`` onto an SMPL armature with ``song`` as its sound strip.

    Raises BlenderOutputError with Blender's own message if the add-on's batch script fails
    or does not write ``out``.
    """
    # The script by its path with -P, not -m: nothing in the working folder (a bpy.py, a
    # motionbeat_addon/) is importable in it; the script puts the project first itself.
    command = [
        sys.executable,
        "-P",
        str(BATCH_SCRIPT),
        str(song),
        "--motion",
        str(dance_npz),
        "--out",
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise BlenderOutputError(lines[-1] if lines else f"Blender exited with {result.returncode}")
    if not out.is_file():
        raise BlenderOutputError(f"{out}: Blender reported success but wrote no file")


def _generate(args: argparse.Namespace) -> None:
    from core.generate import generate_dances
    from core.library import load_libraries
    from core.motion_graph import Controls

    outputs = [Path(out) for out in args.out]
    for out in outputs:
        if out.suffix.lower() not in OUTPUT_SUFFIXES:
            raise MotionBeatError(f"{out}: the output must end in .npz or .blend")
    song = Path(args.song)
    alternatives = [
        out.with_stem(f"{out.stem}_alt{k}") if k else out
        for out in outputs
        for k in range(args.alternatives)
    ]
    check_outputs([song, *filter(None, [args.library, args.encoder])], alternatives)
    library = load_libraries(args.library) if args.library else None
    given = {"diversity": args.diversity, "energy": args.energy, "stage_radius": args.stage_radius}
    controls = Controls(
        **{k: v for k, v in given.items() if v is not None},
        prefer=tuple(args.prefer),
        avoid=tuple(args.avoid),
        in_place=args.in_place,
    )
    seeds = range(args.seed, args.seed + args.alternatives)
    encoder = None
    if args.encoder:
        from core.model.numpy_runtime import NumpyAudioEncoder

        encoder = NumpyAudioEncoder(args.encoder)
    analysis, motions = generate_dances(
        song, seeds, args.fps, args.choreographer, library, controls, tracker=args.tracker,
        encoder=encoder,
    )  # fmt: skip
    for alternative, (seed, motion) in enumerate(zip(seeds, motions, strict=True)):
        for out in outputs:
            if args.alternatives > 1:  # dance.npz, dance_alt1.npz, dance_alt2.npz, ...
                out = out.with_stem(f"{out.stem}_alt{alternative}") if alternative else out
            if out.suffix.lower() == ".npz":
                motion.save_npz(out)
            else:
                with tempfile.TemporaryDirectory() as scratch:
                    write_blend(song, motion.save_npz(Path(scratch) / "dance.npz"), out)
            print(f"wrote {out}")
        figures = dance_metrics(
            motion.joint_positions(), motion.contacts, motion.fps, motion.beats, motion.downbeats
        )
        print(
            f"seed {seed}: {analysis.beat_track.tempo_bpm:.1f} BPM, {motion.n_frames} frames at "
            f"{motion.fps:g} fps: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
        )


def _embed(args: argparse.Namespace) -> None:
    from core.model.embedding import embed_song

    encoder = None  # the shipped numpy encoder, as generate and Blender use
    if args.model or args.device == "cuda":
        from core.model.checkpoint import DEFAULT_MODEL, load_model, resolve_device
        from core.model.network import TorchAudioEncoder

        model = load_model(args.model or DEFAULT_MODEL, resolve_device(args.device))
        encoder = TorchAudioEncoder(model)
    embedding = embed_song(args.song, encoder)
    print(
        f"wrote {embedding.save_npz(args.out)}: {len(embedding.beats)} beat and "
        f"{len(embedding.bars)} bar embeddings of {embedding.clip.shape[0]} values"
    )


def _convert(args: argparse.Namespace) -> None:
    from core.bvh import write_smpl_bvh
    from core.retarget import load_any_motion

    out = Path(args.out)
    if out.suffix.lower() not in (".npz", ".bvh"):
        raise MotionFileError(f"{out.name}: the output is an .npz or a .bvh")
    check_outputs([args.motion], [out])
    motion = load_any_motion(args.motion, args.fps)
    written = motion.save_npz(out) if out.suffix.lower() == ".npz" else write_smpl_bvh(motion, out)
    print(f"wrote {written}: {motion.n_frames} frames at {motion.fps:g} fps on the SMPL skeleton")


def _library(args: argparse.Namespace) -> None:
    from core.library import MotionLibrary
    from core.library_build import capture_library, cmu_library, procedural_library
    from core.model.checkpoint import DEFAULT_MODEL, load_model
    from core.retarget import load_any_motion

    model = load_model(args.model or DEFAULT_MODEL, "cpu")
    parts = [procedural_library(model)] if args.procedural else []
    if args.cmu:
        parts.append(cmu_library(args.cmu, model))
    sources = []
    check_outputs(
        [f for s in map(Path, args.sources) for f in (s.rglob("*") if s.is_dir() else [s])],
        [args.out],
    )
    for source in map(Path, args.sources):
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        motions = [f for f in files if f.suffix.lower() in (".bvh", ".pkl", ".npz")]
        if source.is_dir() and not motions:
            raise MotionFileError(f"{source}: holds no .bvh, .pkl or .npz motion")
        tag = ",".join([*args.tag, source.name if source.is_dir() else source.parent.name])
        sources += [(f.stem, load_any_motion(f), tag) for f in motions]
    if sources:
        parts.append(capture_library(sources, model))
    if not parts:
        raise MotionFileError("give motion files or folders, --cmu or --procedural")
    library = MotionLibrary.concatenate(parts)
    print(f"wrote {library.save(args.out)}: {len(library)} segments of {len(library.poses)} frames")


def _demo_song(args: argparse.Namespace) -> None:
    print(f"wrote {write_demo_song(args.out)}")


def _add_tracker_option(verb: argparse.ArgumentParser) -> None:
    verb.add_argument(
        "--tracker", choices=TRACKERS, default=DEFAULT_TRACKER,
        help="beat tracker: MotionBeat's network (default; 3/4 or 4/4) or librosa's (4/4)",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motionbeat", description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)

    analyze = verbs.add_parser("analyze", help="beats, downbeats and tempo of a song")
    analyze.add_argument("song", help="audio file: wav, ogg, flac or mp3")
    analyze.add_argument("--json", action="store_true", help="print JSON (times in seconds)")
    _add_tracker_option(analyze)
    analyze.set_defaults(run=_analyze)

    generate = verbs.add_parser("generate", help="a dance for a song, as .npz and/or .blend")
    generate.add_argument("song", help="audio file: wav, ogg, flac or mp3")
    generate.add_argument(
        "--out", action="append", required=True, help="DANCE.npz or DANCE.blend; repeat for several"
    )
    generate.add_argument(
        "--seed", type=options.seed, default=0, help="the same seed, the same dance (0 or more)"
    )
    generate.add_argument(
        "--fps", type=options.fps, default=DEFAULT_FPS, help="frames per second (1 to 240)"
    )
    generate.add_argument(
        "--alternatives", type=options.alternatives, default=1,
        help="K dances, seeds SEED .. SEED+K-1 (_altN), 1 to 100",
    )  # fmt: skip
    generate.add_argument(
        "--choreographer", choices=("v2", "v1"), default="v2",
        help="v2: library bars chosen by MotionBeat (default); v1: the first choreographer",
    )  # fmt: skip
    generate.add_argument(
        "--library",
        help="LIB.npz or a folder of them (motionbeat library build), or a built-in: cmu "
        "(real captured dance, the default) or procedural",
    )
    generate.add_argument(
        "--encoder", help="ENCODER.npz (python -m training.export CKPT --out ENCODER.npz); "
        "default: the built-in music encoder",
    )  # fmt: skip
    generate.add_argument("--diversity", type=options.number_in(0, 1), help="0 to 1 (default 0.3)")
    generate.add_argument(
        "--energy", type=options.number_in(-1, 1), help="-1 (calmer) to 1 (livelier), default 0"
    )
    generate.add_argument("--prefer", action="append", default=[], help="style tag to favour")
    generate.add_argument("--avoid", action="append", default=[], help="style tag to leave out")
    generate.add_argument(
        "--stage-radius",
        type=options.number_in(0, 100),
        help="metres of floor the dancer keeps to, 0 to 100 (default 2)",
    )
    generate.add_argument(
        "--in-place", action="store_true", help="dance on the spot: turns kept, travel removed"
    )
    _add_tracker_option(generate)
    generate.set_defaults(run=_generate)

    embed = verbs.add_parser("embed", help="MotionBeat embeddings of a song per beat and bar")
    embed.add_argument("song", help="audio file: wav, ogg, flac or mp3")
    embed.add_argument("--out", required=True, help="EMB.npz to write")
    embed.add_argument("--model", default=None, help="checkpoint (torch); default: the shipped")
    embed.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="for torch runs"
    )
    embed.set_defaults(run=_embed)

    convert = verbs.add_parser(
        "convert", help="motion (BVH of a known rig, AIST++ .pkl, .npz) to SMPL .npz or .bvh"
    )
    convert.add_argument("motion", help="MOTION.bvh, MOTION.pkl or MOTION.npz")
    convert.add_argument("--out", required=True, help="OUT.npz (AMASS keys) or OUT.bvh (SMPL)")
    convert.add_argument(
        "--fps", type=options.fps, default=DEFAULT_FPS, help="frames per second (1 to 240)"
    )
    convert.set_defaults(run=_convert)

    library = verbs.add_parser("library", help="build a motion library of bar-long segments")
    library_verbs = library.add_subparsers(dest="library_verb", required=True)
    build = library_verbs.add_parser("build", help="cut motion into bars and embed each bar")
    build.add_argument("sources", nargs="*", help="motion files or folders (.bvh .pkl .npz)")
    build.add_argument("--out", required=True, help="LIB.npz to write")
    build.add_argument("--procedural", action="store_true", help="include the procedural moves")
    build.add_argument(
        "--cmu", metavar="MOTION_DIR",
        help="include the CMU captures of a shared-data motion folder (the shipped default)",
    )  # fmt: skip
    build.add_argument("--tag", action="append", default=[], help="style tag for every segment")
    build.add_argument("--model", default=None, help="checkpoint; the embedded model by default")
    build.set_defaults(run=_library)

    demo = verbs.add_parser("demo-song", help="write the synthesised demo song")
    demo.add_argument("out", help="OUT.wav")
    demo.set_defaults(run=_demo_song)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except MotionBeatError as exc:
        print(f"motionbeat: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an output folder that cannot be written, a full disk
        print(
            f"motionbeat: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        print("motionbeat: interrupted", file=sys.stderr)
        return 130  # 128 + SIGINT, as shells report it
    return 0


if __name__ == "__main__":
    sys.exit(main())
