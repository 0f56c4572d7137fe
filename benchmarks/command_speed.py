"""Whole-command speed of the main job, as a pipeline runs it: one process per dance.

    python benchmarks/command_speed.py [SONG] [--runs 5]

Runs, each ``--runs`` times (median printed, with the fastest and slowest): ``python -c pass``
(the interpreter alone), ``motionbeat generate SONG --out x.npz`` and ``motionbeat generate
SONG --out x.blend`` (the installed command: ``.blend`` keyed in the same process). SONG is
the game track of ../shared/data/music/game nearest 170 s long, else the demo groove at that
length. Writes nothing outside a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parents[1]
GAME_MUSIC = ROOT.parent / "shared" / "data" / "music" / "game"
MOTIONBEAT = Path(sys.executable).with_name("motionbeat")
SONG_SECONDS = 170.0


def default_song(scratch: Path) -> Path:
    songs = sorted(GAME_MUSIC.glob("*.ogg")) if GAME_MUSIC.is_dir() else []
    if songs:
        return min(songs, key=lambda s: abs(soundfile.info(s).duration - SONG_SECONDS))
    sys.path.insert(0, str(ROOT))
    from core.audio.demo_song import DEMO_BPM, SAMPLE_RATE, synthesize_demo_song

    groove = synthesize_demo_song(bars=int(SONG_SECONDS / (4 * 60 / DEMO_BPM)))
    soundfile.write(scratch / "groove.wav", groove, SAMPLE_RATE)
    return scratch / "groove.wav"


def seconds(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("song", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        song = args.song or default_song(Path(scratch))
        print(f"{song.name}: {soundfile.info(song).duration:.0f} s, {args.runs} runs each")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "generate --out x.npz": [str(MOTIONBEAT), "generate", str(song), "--out"],
            "generate --out x.blend": [str(MOTIONBEAT), "generate", str(song), "--out"],
        }
        commands["generate --out x.npz"].append(str(Path(scratch) / "x.npz"))
        commands["generate --out x.blend"].append(str(Path(scratch) / "x.blend"))
        for name, command in commands.items():
            times = seconds(command, args.runs)
            print(
                f"{name:24s} median {statistics.median(times):.2f} s "
                f"(min {min(times):.2f}, max {max(times):.2f})"
            )


if __name__ == "__main__":
    main()
