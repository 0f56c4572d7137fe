"""Peak memory and wall time of ``motionbeat generate`` on a 30-minute song.

    python benchmarks/memory_long_song.py [MINUTES]

Synthesises the demo groove at that length (30 minutes by default) as a 44.1 kHz stereo file,
then runs the CLI in a child process for each output: the ``.npz`` (analysis and choreography)
and the ``.blend`` (which keys it in Blender's Python module, in a process of its own). Prints
each run's wall time and the peak resident memory of its largest process. Target: under 2 GiB
for 30 minutes.
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

from core.demo_song import DEMO_BPM, SAMPLE_RATE, synthesize_demo_song  # noqa: E402

CD = 44100

# Run in a fresh interpreter so that each command's figure is its own: RUSAGE_CHILDREN is the
# largest waited-for descendant so far, and Linux reports ru_maxrss in KiB.
MEASURE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_of_child(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GiB) of the largest process the command ran."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, int(result.stdout.split()[-1]) / 2**20


def main(minutes: float) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        song = Path(scratch) / "long song.wav"
        bars = int(minutes * 60 / (4 * 60 / DEMO_BPM))
        # As a CD-quality stereo file, as songs usually come: decoding that is the larger part.
        groove = librosa.resample(
            synthesize_demo_song(bars=bars), orig_sr=SAMPLE_RATE, target_sr=CD
        )
        soundfile.write(str(song), np.stack([groove, groove], axis=1), CD, subtype="PCM_16")
        del groove
        cli = [sys.executable, "-m", "core.cli", "generate", str(song)]
        print(f"{minutes:g}-minute song ({song.stat().st_size / 2**20:.0f} MiB wav)")
        for out in ("dance.npz", "dance.blend"):
            wall, peak = peak_of_child([*cli, "--out", str(Path(scratch) / out)])
            print(f"  generate --out {out:12s} {wall:6.1f} s, peak memory {peak:.2f} GiB")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
