"""Song analysis against plain librosa, on the same songs in one run.

    python benchmarks/analysis_vs_librosa.py [SONG ...]

For each song (by default a 3-minute synthesised demo groove and every game track in
../shared/data/music/game), times ``core.analysis.analyze_song`` (load, beats, tempo and
downbeats) against ``librosa.load`` + ``librosa.beat.beat_track`` (beats and tempo, no
downbeats), both after a warm-up that pays numba's one-off compilation, and prints the beats
each finds and how many of librosa's beats ours matches within 70 ms (mir_eval F-measure).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import librosa
import mir_eval
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis import analyze_song  # noqa: E402
from core.audio.decode import SAMPLE_RATE as ANALYSIS_SAMPLE_RATE  # noqa: E402
from core.audio.demo_song import DEMO_BPM, SAMPLE_RATE, synthesize_demo_song  # noqa: E402

GAME_MUSIC = ROOT.parent / "shared" / "data" / "music" / "game"


def plain_librosa(path: Path):
    y, sr = librosa.load(str(path), sr=ANALYSIS_SAMPLE_RATE, mono=True)
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr, units="time")
    return float(tempo[0] if hasattr(tempo, "__len__") else tempo), beats, len(y) / sr


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def main(songs: list[Path]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        demo = Path(scratch) / "demo 3 min.wav"
        bars = int(180 / (4 * 60 / DEMO_BPM))
        soundfile.write(str(demo), synthesize_demo_song(bars=bars), SAMPLE_RATE)
        if not songs:
            songs = [demo, *sorted(GAME_MUSIC.glob("*.ogg"))]
        warm = Path(scratch) / "warm.wav"
        soundfile.write(str(warm), synthesize_demo_song(bars=2), SAMPLE_RATE)
        analyze_song(warm), plain_librosa(warm)  # numba compiles once per process

        print(
            f"{'song':40s} {'length':>7s} {'ours s':>7s} {'librosa s':>9s} {'RTF ours':>9s}"
            f" {'beats ours/librosa':>19s} {'F vs librosa':>12s}"
        )
        total_ours = total_librosa = total_length = 0.0
        for song in songs:
            analysis, ours_s = timed(analyze_song, song)
            (_, beats, length), librosa_s = timed(plain_librosa, song)
            agreement = mir_eval.beat.f_measure(beats, analysis.beat_track.beats)
            total_ours, total_librosa = total_ours + ours_s, total_librosa + librosa_s
            total_length += length
            print(
                f"{song.name[:40]:40s} {length:6.0f}s {ours_s:7.2f} {librosa_s:9.2f} "
                f"{length / ours_s:8.0f}x {len(analysis.beat_track.beats):9d}/{len(beats):<9d}"
                f" {agreement:12.3f}"
            )
        print(
            f"all {len(songs)} songs, {total_length / 60:.1f} min: ours {total_ours:.1f} s, "
            f"librosa {total_librosa:.1f} s (ours also finds downbeats)"
        )


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]])
