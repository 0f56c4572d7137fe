"""Evaluate MotionBeat's beat tracker and librosa's on annotated songs, in the same run.

    python -m training.beats.evaluate FOLDER [FOLDER ...] [--model NPZ [NPZ ...]] [--json OUT]

FOLDER holds audio files and a ``beats.json`` mapping each song to ``{"audio": FILE, "beats":
[s, ...], "downbeats": [s, ...]}`` (the form of ``../shared/data/beats/lmms``; write the
held-out MIDI renders in it with ``python -m training.beats.data --out FOLDER``). Scores are
mir_eval's (Davies, Degara and Plumbley 2009 definitions) after its usual trimming of the
first 5 s: beat F-measure (±70 ms), CMLt and AMLt (continuity, ±17.5% phase and period),
downbeat F-measure (±70 ms), tempo accuracy (median inter-beat tempo within 4% of the
annotated one) and time-signature accuracy; and the seconds each tracker took per song, from
decoded samples. ``--model`` takes one or more tracker exports (averaged, as ``BeatNet`` does);
without it, the shipped one. With several folders (one set of music each: LMMS, tracker modules,
Hydrogen, ...) it prints a table per set, then one over all their songs, so that a regression
on one kind of music shows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import mir_eval
import numpy as np

from core.audio.decode import SAMPLE_RATE, load_audio
from core.beats.beat_track import BeatTrack, median_tempo
from core.beats.librosa_tracker import track_beats
from core.beats.network import DEFAULT_BEAT_MODEL, BeatNet, track_beats_network
from core.errors import MotionBeatError, report_error

TEMPO_TOLERANCE = 0.04
METRICS = ("beat_f", "cmlt", "amlt", "downbeat_f", "tempo_acc", "meter_acc", "seconds")


def scores(track: BeatTrack, entry: dict) -> dict[str, float]:
    """mir_eval scores of one tracked song against its annotation."""
    reference = mir_eval.beat.trim_beats(np.asarray(entry["beats"], dtype=np.float64))
    estimate = mir_eval.beat.trim_beats(track.beats)
    reference_down = mir_eval.beat.trim_beats(np.asarray(entry["downbeats"], dtype=np.float64))
    estimate_down = mir_eval.beat.trim_beats(track.downbeats)
    _, cmlt, _, amlt = mir_eval.beat.continuity(reference, estimate)
    reference_tempo = median_tempo(np.asarray(entry["beats"]))
    beats_per_bar = entry.get("beats_per_bar")
    return {
        "beat_f": mir_eval.beat.f_measure(reference, estimate),
        "cmlt": cmlt,
        "amlt": amlt,
        "downbeat_f": mir_eval.beat.f_measure(reference_down, estimate_down),
        "tempo_acc": float(abs(track.tempo_bpm / reference_tempo - 1.0) <= TEMPO_TOLERANCE),
        "meter_acc": float("nan")
        if beats_per_bar is None
        else float(track.beats_per_bar == int(beats_per_bar)),
    }


def evaluate(
    folder: Path, models: tuple[Path, ...] = (DEFAULT_BEAT_MODEL,)
) -> dict[str, dict[str, dict]]:
    """Per-tracker, per-song scores: ``{tracker: {song: {metric: value}}}``."""
    labels = json.loads((folder / "beats.json").read_text())
    net = BeatNet(*models)
    trackers = {
        "motionbeat": lambda y: track_beats_network(y, net),
        "librosa": lambda y: track_beats(y, SAMPLE_RATE),
    }
    results: dict[str, dict[str, dict]] = {name: {} for name in trackers}
    for song, entry in sorted(labels.items()):
        y = load_audio(folder / entry["audio"])
        for name, tracker in trackers.items():
            started = time.perf_counter()
            track = tracker(y)
            seconds = time.perf_counter() - started
            results[name][song] = {**scores(track, entry), "seconds": seconds}
    return results


def summary_table(results: dict[str, dict[str, dict]], title: str = "") -> str:
    """Mean of each metric per tracker, one row per tracker, under ``title``."""
    lines = [f"{title or 'tracker':<11} " + " ".join(f"{m:>10}" for m in METRICS)]
    for name, songs in results.items():
        values = [np.array([s[m] for s in songs.values()], dtype=float) for m in METRICS]
        means = [v[~np.isnan(v)].mean() if (~np.isnan(v)).any() else np.nan for v in values]
        lines.append(f"{name:<11} " + " ".join(f"{v:>10.3f}" for v in means))
    n = len(next(iter(results.values())))
    lines.append(f"({n} songs; seconds = mean tracking time per song)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", help="songs and their beats.json")
    parser.add_argument(
        "--model", type=Path, nargs="+", default=[DEFAULT_BEAT_MODEL], help="tracker exports"
    )
    parser.add_argument("--json", type=Path, help="also write per-song scores here")
    args = parser.parse_args(argv)
    per_set: dict[str, dict[str, dict[str, dict]]] = {}
    try:
        for folder in args.folders:
            per_set[folder.name] = evaluate(folder, tuple(args.model))
    except (KeyError, ValueError) as exc:  # a labels file without beats, or not numbers
        return report_error("evaluate_beats", MotionBeatError(f"malformed labels: {exc}"))
    except (MotionBeatError, OSError, KeyboardInterrupt) as exc:
        return report_error("evaluate_beats", exc)
    for name, results in per_set.items():
        print(summary_table(results, name if len(per_set) > 1 else ""))
    if len(per_set) > 1:
        every = {
            tracker: {
                f"{name}/{song}": v for name, r in per_set.items() for song, v in r[tracker].items()
            }
            for tracker in next(iter(per_set.values()))
        }
        print(summary_table(every, "all"))
    if args.json:
        args.json.write_text(
            json.dumps(per_set if len(per_set) > 1 else per_set.popitem()[1], indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
