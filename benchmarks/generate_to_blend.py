"""Wall time of the main job on a 3-minute song, and dance figures on real songs.

    python benchmarks/generate_to_blend.py [SONG ...]

1. A 3-minute song (the demo groove synthesised at that length) through the default path of
   ``motionbeat generate`` (decode and analysis, the MotionBeat embedding, the library
   choreographer), the .npz, and keying into a saved .blend, each stage timed, after Blender
   has started. The once-per-process costs (numba compiling librosa's kernels, reading the
   model and the library) are paid on a short clip first and reported apart.
2. BAS, beat and downbeat hit rate, PFC and foot skate of ``motionbeat generate`` on the given
   songs, or on the first five game tracks of ../shared/data/music/game when none are given.
Prints a table of figures; writes nothing outside a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis import analyze_audio  # noqa: E402
from core.audio.decode import load_audio  # noqa: E402
from core.audio.demo_song import DEMO_BPM, SAMPLE_RATE, synthesize_demo_song  # noqa: E402
from core.choreography.library import default_library  # noqa: E402
from core.choreography.motion_graph import Controls, choreograph_from_library  # noqa: E402
from core.generate import generate_dance  # noqa: E402
from core.metrics import dance_metrics  # noqa: E402
from core.model.embedding import embed_audio  # noqa: E402

THREE_MINUTES_BARS = int(180 / (4 * 60 / DEMO_BPM))
GAME_MUSIC = ROOT.parent / "shared" / "data" / "music" / "game"


def time_three_minute_song(scratch: Path) -> None:
    import bpy

    import motionbeat_addon
    from motionbeat_addon.dance_scene import write_dance

    song = scratch / "three minutes.wav"
    soundfile.write(str(song), synthesize_demo_song(bars=THREE_MINUTES_BARS), SAMPLE_RATE)
    motionbeat_addon.register()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    clip = scratch / "clip.wav"
    soundfile.write(str(clip), synthesize_demo_song(bars=2), SAMPLE_RATE)
    cold = time.perf_counter()
    generate_dance(clip)
    print(f"first use in a process (numba, model, library): {time.perf_counter() - cold:.2f} s")

    start = time.perf_counter()
    y = load_audio(song)
    analysis = analyze_audio(y)
    analysed = time.perf_counter()
    embedding = embed_audio(y, analysis.beat_track)
    embedded = time.perf_counter()
    motion = choreograph_from_library(analysis, embedding, default_library(), 30.0, Controls())
    choreographed = time.perf_counter()
    motion.save_npz(scratch / "three minutes.npz")
    npz_written = time.perf_counter()
    write_dance(bpy.context, motion, song)
    keyed = time.perf_counter()
    bpy.ops.wm.save_as_mainfile(filepath=str(scratch / "three minutes.blend"))
    saved = time.perf_counter()

    print(f"3-minute song ({analysis.duration:.0f} s, {motion.n_frames} frames at 30 fps)")
    for stage, seconds in (
        ("analysis (decode, beats, downbeats)", analysed - start),
        ("MotionBeat embedding (model read)", embedded - analysed),
        ("choreography (library, v2)", choreographed - embedded),
        ("writing the .npz", npz_written - choreographed),
        ("total, song to .npz", npz_written - start),
        ("keying into Blender", keyed - npz_written),
        ("saving the .blend", saved - keyed),
        ("total, song to saved .blend", saved - start),
    ):
        print(f"  {stage:38s} {seconds:6.2f} s")
    for output, seconds in ((".npz", npz_written - start), (".blend", saved - start)):
        print(f"  real-time factor to {output:7s}            {analysis.duration / seconds:6.1f}x")


def dance_figures(songs: list[Path]) -> None:
    header = ("song", "BPM", "BAS", "beat hit", "downbeat hit", "PFC", "skate cm/s")
    print("\n" + "  ".join(f"{h:>12s}" if i else f"{h:34s}" for i, h in enumerate(header)))
    rows = []
    for song in songs:
        analysis, motion = generate_dance(song, seed=0, fps=30)
        figures = dance_metrics(
            motion.joint_positions(), motion.contacts, 30, motion.beats, motion.downbeats
        )
        rows.append(list(figures.values()))
        values = [analysis.beat_track.tempo_bpm, *figures.values()]
        print(f"{song.stem[:34]:34s}" + "".join(f"  {v:12.3f}" for v in values))
    means = [sum(column) / len(column) for column in zip(*rows, strict=True)]
    print(f"{'mean':34s}  {'':12s}" + "".join(f"  {v:12.3f}" for v in means))


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        time_three_minute_song(Path(scratch))
    songs = [Path(a) for a in argv] or sorted(GAME_MUSIC.glob("*.ogg"))[:5]
    if songs:
        dance_figures(songs)
    else:
        print(f"\nno songs given and {GAME_MUSIC} is absent: dance figures skipped")


if __name__ == "__main__":
    main(sys.argv[1:])
