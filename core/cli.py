"""The ``motionbeat`` command line.

    motionbeat analyze SONG [--json] [--tracker motionbeat|librosa]
    motionbeat generate SONG --out DANCE.npz|DANCE.blend [--out ...] [--seed N] [--fps 30]
        [--alternatives K] [--choreographer library|procedural] [--library LIB.npz]
        [--diversity 0.3] [--energy 0] [--prefer TAG] [--avoid TAG] [--stage-radius 2]
        [--in-place] [--encoder ENCODER.npz] [--tracker motionbeat|librosa]
    motionbeat embed SONG --out EMB.npz [--model MODEL.pt] [--device auto|cpu|cuda]
    motionbeat convert MOTION.bvh|.pkl|.npz --out OUT.npz|OUT.bvh [--fps 30]
    motionbeat library build [SOURCES ...] [--procedural] [--tag TAG] --out LIB.npz
    motionbeat demo-song OUT.wav

Errors print one line on stderr and exit with status 1 (2 for a malformed command line, 130
when interrupted). A command that fails has written none of its outputs. A ``.blend`` output is
keyed in this process by the add-on through Blender's Python module (``bpy``): the installed
``motionbeat`` command is ``motionbeat_addon.cli``, which passes ``main`` its writer, so that this
package never imports bpy or the add-on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from core import options
from core.analysis import DEFAULT_TRACKER, TRACKERS
from core.atomic import check_outputs, written_together
from core.body.motion import DEFAULT_FPS, Motion
from core.choreography.motion_graph import Controls
from core.errors import MotionBeatError, MotionFileError, report_error
from core.generate import CHOREOGRAPHER_ALIASES, CHOREOGRAPHERS

OUTPUT_SUFFIXES = (".npz", ".blend")
DEFAULTS = Controls()  # the choreography settings' defaults, which the help text gives


# Keys a dance (with its song as the sound strip) into a .blend: (song, motion, out).
BlendWriter = Callable[[Path, Motion, Path], None]


def _analyze(args: argparse.Namespace) -> None:
    from core.analysis import analyze_song

    analysis = analyze_song(args.song, args.tracker)
    track = analysis.beat_track
    summary = {
        **track.summary(),
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


def _generate(args: argparse.Namespace) -> None:
    from core.choreography.library import load_libraries
    from core.generate import generate_dances
    from core.metrics import dance_metrics

    outputs = [Path(out) for out in args.out]
    for out in outputs:
        if out.suffix.lower() not in OUTPUT_SUFFIXES:
            raise MotionBeatError(f"{out}: the output must end in .npz or .blend")
        if out.suffix.lower() == ".blend" and args.blend_writer is None:
            raise MotionBeatError(
                f"{out.name}: a .blend needs Blender's Python module; use the motionbeat command"
            )
    song = Path(args.song)
    alternatives = [
        out.with_stem(f"{out.stem}_alt{k}") if k else out
        for out in outputs
        for k in range(args.alternatives)
    ]
    check_outputs([song, *filter(None, [args.library, args.encoder])], alternatives)
    library = load_libraries(args.library) if args.library else None
    given = {
        "diversity": args.diversity,
        "energy": args.energy,
        "stage_radius": args.stage_radius,
        "accent": args.accent,
    }
    controls = Controls(
        **{k: v for k, v in given.items() if v is not None},
        prefer=tuple(args.prefer),
        avoid=tuple(args.avoid),
        in_place=args.in_place,
    )
    seeds = range(args.seed, args.seed + args.alternatives)
    encoder = None
    if args.encoder:
        from core.model.numpy_encoder import NumpyAudioEncoder

        encoder = NumpyAudioEncoder(args.encoder)
    analysis, motions = generate_dances(
        song, seeds, args.fps, args.choreographer, library, controls, tracker=args.tracker,
        encoder=encoder,
    )  # fmt: skip
    written = list(zip(seeds, motions, strict=True))
    with written_together(alternatives) as temporaries:  # a command that fails writes nothing
        for k, (_, motion) in enumerate(written):
            for out in temporaries[k :: args.alternatives]:
                if out.suffix.lower() == ".npz":
                    motion.save_npz(out)
                else:
                    args.blend_writer(song, motion, out)
    for out in alternatives:
        print(f"wrote {out}")
    for seed, motion in written:
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
    from core.motion_files.bvh import write_smpl_bvh
    from core.motion_files.load import load_any_motion

    out = Path(args.out)
    if out.suffix.lower() not in (".npz", ".bvh"):
        raise MotionFileError(f"{out.name}: the output is an .npz or a .bvh")
    check_outputs([args.motion], [out])
    motion = load_any_motion(args.motion, args.fps)
    written = motion.save_npz(out) if out.suffix.lower() == ".npz" else write_smpl_bvh(motion, out)
    print(f"wrote {written}: {motion.n_frames} frames at {motion.fps:g} fps on the SMPL skeleton")


def _library(args: argparse.Namespace) -> None:
    from core.choreography.library import MotionLibrary
    from core.choreography.library_build import capture_library, cmu_library, procedural_library
    from core.model.checkpoint import DEFAULT_MODEL, load_model
    from core.motion_files.load import load_any_motion

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
    from core.audio.demo_song import write_demo_song

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
        "--choreographer", choices=(*CHOREOGRAPHERS, *CHOREOGRAPHER_ALIASES), default="library",
        help="library: captured dance chosen by MotionBeat (default); procedural: "
        "the procedural moves (v2 and v1, the earlier names, still work)",
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
    generate.add_argument(
        "--diversity", type=options.number_in(0, 1), help=f"0 to 1 (default {DEFAULTS.diversity})"
    )
    generate.add_argument(
        "--energy",
        type=options.number_in(-1, 1),
        help=f"-1 (calmer) to 1 (livelier), default {DEFAULTS.energy:g}",
    )
    generate.add_argument(
        "--accent",
        type=options.number_in(0, 0.9),
        help="0 (the capture's own timing) to 0.9: how much the dancer slows into the strong "
        f"beats and hurries between them (default {DEFAULTS.accent:g})",
    )
    generate.add_argument("--prefer", action="append", default=[], help="style tag to favour")
    generate.add_argument("--avoid", action="append", default=[], help="style tag to leave out")
    generate.add_argument(
        "--stage-radius",
        type=options.number_in(0, 100),
        help=f"metres of floor the dancer keeps to, 0 to 100 (default {DEFAULTS.stage_radius:g})",
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


def main(argv: list[str] | None = None, blend_writer: BlendWriter | None = None) -> int:
    """Run one command; return its exit status. ``blend_writer(song, motion, out)`` keys a
    dance into a ``.blend``; the add-on passes it (``motionbeat_addon.cli``, the installed
    ``motionbeat`` command), as this package never imports bpy."""
    args = build_parser().parse_args(argv)
    args.blend_writer = blend_writer
    try:
        args.run(args)
    except (MotionBeatError, OSError, KeyboardInterrupt) as exc:
        return report_error("motionbeat", exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
