"""The first choreographer against the library choreographer, on every song, in one run.

    python benchmarks/choreographers.py [CAPTURE_LIBRARY.npz] [SONG ...]

For each song (every file in ../shared/data/music by default) it makes a dance with seed 0 by
``core.choreography.procedural`` (v1), by ``core.choreography.motion_graph`` with the procedural
library (v2), and, when a capture library is given (``motionbeat library build DIR... --out
LIB.npz``), by v2 with that library. It prints the mean BAS, beat and downbeat hit rate, PFC and
foot skate of each, and Div_k / Div_g across songs (features standardised by all the run's dances
together). Contacts for foot skate are detected on each dance by the same rule
(``core.body.contacts``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis import analyze_audio  # noqa: E402
from core.audio.decode import load_audio  # noqa: E402
from core.body.contacts import detect_foot_contacts  # noqa: E402
from core.choreography.library import MotionLibrary  # noqa: E402
from core.choreography.library_build import procedural_library  # noqa: E402
from core.choreography.motion_graph import Controls, choreograph_from_library  # noqa: E402
from core.choreography.procedural import choreograph  # noqa: E402
from core.metrics import dance_metrics, diversity, geometric_features, kinetic_features  # noqa: E402
from core.model.checkpoint import DEFAULT_MODEL, load_model  # noqa: E402
from core.model.embedding import embed_audio  # noqa: E402

MUSIC = ROOT.parent / "shared" / "data" / "music"
FPS = 30.0


def main(argv: list[str]) -> None:
    capture = Path(argv[0]) if argv and argv[0].endswith(".npz") else None
    songs = [Path(a) for a in argv[1 if capture else 0 :]] or sorted(
        p for p in MUSIC.rglob("*") if p.suffix in (".ogg", ".wav", ".mp3", ".flac")
    )
    model = load_model(DEFAULT_MODEL, "cpu")
    libraries = {"v2 procedural": procedural_library(model)}
    if capture is not None:
        libraries["v2 capture"] = MotionLibrary.load(capture)
    rows: dict[str, list[dict]] = {"v1": [], **{name: [] for name in libraries}}
    features: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in rows}
    seconds = {name: 0.0 for name in rows}
    for song in songs:
        y = load_audio(song)  # one decode for the analysis and the embedding, as generate does
        analysis = analyze_audio(y)
        embedding = embed_audio(y, analysis.beat_track)
        for name in rows:
            start = time.perf_counter()
            if name == "v1":
                motion = choreograph(analysis, fps=FPS, seed=0)
            else:
                motion = choreograph_from_library(
                    analysis, embedding, libraries[name], FPS, Controls(seed=0)
                )
            seconds[name] += time.perf_counter() - start
            joints = motion.joint_positions()
            contacts = detect_foot_contacts(joints, FPS)
            rows[name].append(dance_metrics(joints, contacts, FPS, motion.beats, motion.downbeats))
            features[name].append((kinetic_features(joints, FPS), geometric_features(joints)))
        print(f"  {song.name}", file=sys.stderr)
    every_k = np.array([k for f in features.values() for k, _ in f])
    every_g = np.array([g for f in features.values() for _, g in f])
    columns = list(rows["v1"][0])
    print(f"{len(songs)} songs, seed 0, {FPS:g} fps")
    print("| choreographer | " + " | ".join(columns) + " | Div_k | Div_g | s per song |")
    print("|---" * (len(columns) + 4) + "|")
    for name, figures in rows.items():
        means = [np.mean([f[c] for f in figures]) for c in columns]
        div_k = diversity(np.array([k for k, _ in features[name]]), every_k)
        div_g = diversity(np.array([g for _, g in features[name]]), every_g)
        cells = [f"{m:.3f}" for m in means] + [f"{div_k:.2f}", f"{div_g:.2f}"]
        print(f"| {name} | " + " | ".join(cells) + f" | {seconds[name] / len(songs):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
