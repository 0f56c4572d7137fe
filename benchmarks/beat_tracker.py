"""Time MotionBeat's beat tracker, stage by stage, on a 3-minute song.

    python benchmarks/beat_tracker.py [SONG]

Without SONG: the first game track of 3 minutes or more in ../shared/data/music/game, else the
synthesised demo groove made 3 minutes long. Prints the seconds each stage takes (best of three
runs, after a warm-up) and the whole analysis from decoded samples, with librosa's tracker on
the same samples for comparison.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio.decode import SAMPLE_RATE, audio_duration, load_audio  # noqa: E402
from core.audio.demo_song import synthesize_demo_song  # noqa: E402
from core.beats.decoder import decode_bars, decode_beats  # noqa: E402
from core.beats.librosa_tracker import track_beats  # noqa: E402
from core.beats.network import BeatNet, log_mel_flux, track_beats_network  # noqa: E402

GAME_MUSIC = ROOT.parent / "shared" / "data" / "music" / "game"
SECONDS = 180.0


def best_of_three(function, *args, **kwargs):
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    if len(sys.argv) > 1:
        y, name = load_audio(sys.argv[1]), Path(sys.argv[1]).name
    elif GAME_MUSIC.is_dir():  # the first game track of 3 minutes or more
        path = next(p for p in sorted(GAME_MUSIC.glob("*.ogg")) if audio_duration(p) >= SECONDS)
        y, name = load_audio(path), path.name
    else:
        y, name = synthesize_demo_song(bars=90), "demo groove"
    y = y[: int(SECONDS * SAMPLE_RATE)]
    net = BeatNet()
    fps = net.config.fps
    track_beats_network(y, net)  # warm-up
    track_beats(y, SAMPLE_RATE)  # warm-up: numba compiles librosa's tracker once

    features_s, _ = best_of_three(log_mel_flux, y, net.config)
    network_s, (activation, tempo) = best_of_three(net.activations, y)
    beats_s, beats = best_of_three(decode_beats, activation[:, 0], fps, tempo_probabilities=tempo)
    bars_s, _ = best_of_three(decode_bars, beats, activation[:, 1], fps)
    total_s, track = best_of_three(track_beats_network, y, net)
    librosa_s, _ = best_of_three(track_beats, y, SAMPLE_RATE)
    print(f"{name}: {len(y) / SAMPLE_RATE:.0f} s of audio, {len(activation)} frames at {fps:g} fps")
    print(f"  features (log-mel + flux)   {features_s:6.3f} s")
    print(f"  network incl. features      {network_s:6.3f} s")
    print(f"  beat decoding (Viterbi)     {beats_s:6.3f} s")
    print(f"  bar decoding                {bars_s:6.3f} s")
    print(f"  MotionBeat tracker, total   {total_s:6.3f} s  ({track.tempo_bpm:.1f} BPM, "
          f"{track.beats_per_bar}/4, confidence {track.confidence:.2f})")  # fmt: skip
    print(f"  librosa tracker, total      {librosa_s:6.3f} s")


if __name__ == "__main__":
    main()
