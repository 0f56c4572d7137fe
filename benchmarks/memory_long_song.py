"""Peak memory and wall time of ``motionbeat generate`` on half-hour and hour-long songs.

    python benchmarks/memory_long_song.py [MINUTES ...]

Synthesises the demo groove at each length (30 and 59.5 minutes by default: songs are refused
past an hour, and the groove rings out a second past its bars) as a 44.1 kHz stereo
file, as songs usually come, then in fresh child processes:
1. the main job in process (``generate_dances``), printing the peak resident memory so far at
   the start of each stage and at the end, so each stage's own peak shows;
2. the whole ``motionbeat generate`` command for each output, ``.npz`` and ``.blend``, with its
   wall time and peak memory.
Targets (issue 17): under 1 GiB for 30 minutes and under 2 GiB for an hour.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio.demo_song import DEMO_BPM, SAMPLE_RATE, synthesize_demo_song  # noqa: E402

CD = 44100
MOTIONBEAT = Path(sys.executable).with_name("motionbeat")

# Linux reports ru_maxrss in KiB. RUSAGE_CHILDREN is the largest waited-for descendant.
STAGES = """
import resource, sys
from core.generate import generate_dances
def report(stage, done):
    print(stage, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
generate_dances(sys.argv[1], [0], progress=report)
report("end", 1.0)
"""
COMMAND = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def write_song(path: Path, minutes: float) -> None:
    bars = int(minutes * 60 / (4 * 60 / DEMO_BPM))
    groove = librosa.resample(synthesize_demo_song(bars=bars), orig_sr=SAMPLE_RATE, target_sr=CD)
    soundfile.write(str(path), np.stack([groove, groove], axis=1), CD, subtype="PCM_16")


def write_song_apart(path: Path, minutes: float) -> None:
    """``write_song`` in a process of its own: a child forked from a process that held the
    song would count those pages in its own peak (getrusage keeps it across exec)."""
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); "
    code += f"from memory_long_song import write_song; write_song({str(path)!r}, {minutes})"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def main(lengths: list[float]) -> None:
    for minutes in lengths:
        with tempfile.TemporaryDirectory() as scratch:
            song = Path(scratch) / "long song.wav"
            write_song_apart(song, minutes)
            print(f"{minutes:g}-minute song ({song.stat().st_size / 2**20:.0f} MiB wav)")
            result = subprocess.run(
                [sys.executable, "-c", STAGES, str(song)],
                check=True, capture_output=True, text=True, cwd=ROOT,
            )  # fmt: skip
            for line in result.stdout.split("\n"):
                if line:
                    *stage, kib = line.split()
                    print(f"  peak before {' '.join(stage):16s} {int(kib) / 2**20:.2f} GiB")
            for out in ("dance.npz", "dance.blend"):
                command = [
                    str(MOTIONBEAT),
                    "generate",
                    str(song),
                    "--out",
                    str(Path(scratch) / out),
                ]
                start = time.perf_counter()
                measured = subprocess.run(
                    [sys.executable, "-c", COMMAND, *command], check=True, capture_output=True
                )
                wall = time.perf_counter() - start
                peak = int(measured.stdout.split()[-1]) / 2**20
                print(f"  generate --out {out:12s} {wall:6.1f} s, peak memory {peak:.2f} GiB")


if __name__ == "__main__":
    main([float(m) for m in sys.argv[1:]] or [30.0, 59.5])  # an hour: just inside the limit
