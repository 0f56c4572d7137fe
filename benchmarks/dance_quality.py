"""How the dance looks in numbers, per motion library, on every shared song, in one run.

    python benchmarks/dance_quality.py [--libraries cmu procedural LIB.npz ...] [--limit N]
        [--accent A] [--given-beats]

Songs: the annotated ones in ../shared/data/beats (LMMS, tracker modules, Hydrogen), scored
against their annotated beats and downbeats, and the game and librosa tracks in
../shared/data/music, scored against the beats MotionBeat's tracker finds (they have no
annotations). Each dance is the product's: ``generate_dance`` with seed 0 at 30 fps.

Per library it prints BAS and beat/downbeat hit rate (Bailando; DESIGN.md §7), accent alignment
(``core.metrics.accent_alignment``, on the annotated beats or else the tracked ones), PFC (EDGE),
foot skate on the dance's own contact labels, the share of frames held still, mean joint
speed, pelvis travel and turns per minute, Div_k/Div_g across songs, the diagonal Fréchet
distance of 10-s kinetic and geometric features to real capture held out of the library
(``core.choreography.library_build.CMU_HELD_OUT``) beside real against real and with each
held-out take left out in turn (three takes, 11 windows: one sways it), the bars' time-warp
factors, the peak joint acceleration at the bar lines where one segment follows another that
is not its take's continuation (beside the same where the take goes on: a snap at a join
shows as the first above the second) and the seconds per song. A second table gives BAS and
the hits per set of annotated songs beside the tracker's downbeat F there (mir_eval, as
``training.beats.evaluate``).

``--given-beats`` dances the annotated songs on their annotated beats, downbeats and meter
(``BeatTrack.given``) instead of the tracker's: the gap between the two runs is what the
tracker's errors cost the dance, the rest is the choreographer's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis import analyze_audio  # noqa: E402
from core.audio.decode import load_audio  # noqa: E402
from core.beats.beat_track import METERS, BeatTrack  # noqa: E402
from core.choreography.library import load_libraries  # noqa: E402
from core.choreography.library_build import cmu_takes  # noqa: E402
from core.choreography.motion_graph import (  # noqa: E402
    Controls,
    choreograph_from_library,
    plan_segments,
    warp_factors,
)
from core.metrics import (  # noqa: E402
    accent_alignment,
    beat_align_score,
    beat_hit_rate,
    diagonal_frechet_distance,
    diversity,
    foot_skate,
    geometric_features,
    hold_share,
    kinetic_features,
    mean_joint_speed,
    physical_foot_contact,
    travel_per_minute,
    turns_per_minute,
)
from core.model.config import MotionBeatConfig  # noqa: E402
from core.model.embedding import embed_audio  # noqa: E402
from core.model.tokens import onset_envelope  # noqa: E402
from core.motion_files.load import load_bvh_motion  # noqa: E402
from training.beats.data import labelled_beats_per_bar  # noqa: E402
from training.beats.evaluate import scores as beat_scores  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FPS = 30.0
WINDOW_SECONDS = 10.0
ONSET_CONFIG = MotionBeatConfig()  # the onset envelope the encoder's onset head learns
ONSET_RATE = ONSET_CONFIG.sample_rate / ONSET_CONFIG.hop_length


def annotated_songs() -> list[tuple[Path, np.ndarray | None, np.ndarray | None, int | None]]:
    """(audio, beats, downbeats, beats per bar) of every shared song; None where unannotated."""
    songs = []
    for kind in ("lmms", "modules", "hydrogen"):
        labels = json.loads((DATA / "beats" / kind / "beats.json").read_text())
        for entry in labels.values():
            beats, downbeats = (
                np.asarray(json.loads(v) if isinstance(v, str) else v, dtype=float)
                for v in (entry["beats"], entry["downbeats"])
            )
            # The product dances in the tracker's meters (``METERS``, three or four beats): a
            # labelled bar of six or eight beats (some modules' patterns) is danced as two.
            meter = labelled_beats_per_bar(entry)
            meter = meter if meter in METERS else 3 if meter % 3 == 0 else 4
            songs.append((DATA / "beats" / kind / entry["audio"], beats, downbeats, meter))
    music = sorted(p for p in (DATA / "music").rglob("*.ogg"))
    return songs + [(p, None, None, None) for p in music]


def windows(joints: np.ndarray) -> list[np.ndarray]:
    """10-s windows of a dance, hop 5 s (a shorter dance is one window)."""
    size = int(WINDOW_SECONDS * FPS)
    if len(joints) <= size:
        return [joints]
    return [joints[a : a + size] for a in range(0, len(joints) - size + 1, size // 2)]


def features(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return kinetic_features(joints, FPS), geometric_features(joints)


def join_accelerations(
    joints: np.ndarray, plan: list[int], bar_beats: np.ndarray, follows: np.ndarray
) -> tuple[list[float], list[float]]:
    """The peak mean joint acceleration (m/s^2) over the three frames around each bar line,
    at lines where the segment changes and at lines where the take goes on (the capture's own
    motion at a stop, the reference a blended join should come near)."""
    acceleration = np.linalg.norm(np.diff(joints, 2, axis=0), axis=-1).mean(axis=1) * FPS**2
    changes, continuations = [], []
    for bar in range(1, len(plan)):
        frame = int(round(bar_beats[bar, 0] * FPS))  # acceleration[frame - 1] is at the frame
        if 2 <= frame < len(acceleration):
            peak = float(acceleration[frame - 2 : frame + 1].max())
            (continuations if follows[plan[bar - 1]] == plan[bar] else changes).append(peak)
    return changes, continuations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--libraries", nargs="+", default=["cmu", "procedural"])
    parser.add_argument("--limit", type=int, help="the first N songs only")
    parser.add_argument(
        "--accent", type=float, default=Controls().accent, help="the beat accent's depth"
    )
    parser.add_argument(
        "--given-beats",
        action="store_true",
        help="dance the annotated songs on their annotated beats, not the tracker's",
    )
    args = parser.parse_args()
    songs = annotated_songs()[: args.limit]
    controls = Controls(accent=args.accent)
    libraries = {name: load_libraries(name) for name in args.libraries}

    real = {"held out": [], "library": []}
    held_out_take = []  # the take of each held-out window
    for held_out in (True, False):
        for take, path, _ in cmu_takes(DATA / "motion", held_out=held_out):
            joints = load_bvh_motion(path, FPS).joint_positions()
            take_windows = [features(w) for w in windows(joints)]
            real["held out" if held_out else "library"] += take_windows
            held_out_take += [take] * len(take_windows) if held_out else []
    real_k = {k: np.array([f[0] for f in v]) for k, v in real.items()}
    real_g = {k: np.array([f[1] for f in v]) for k, v in real.items()}

    rows = {name: [] for name in libraries}
    clips = {name: [] for name in libraries}
    song_features = {name: [] for name in libraries}
    warps = {name: [] for name in libraries}
    joins = {name: ([], []) for name in libraries}  # (at a change of segment, where it goes on)
    seconds = {name: 0.0 for name in libraries}
    for path, beats, downbeats, meter in songs:
        y = load_audio(path)
        analysis = analyze_audio(y)
        if args.given_beats and beats is not None:
            given = BeatTrack.given(beats, downbeats, meter)
            analysis = dataclasses.replace(analysis, beat_track=given)
        embedding = embed_audio(y, analysis.beat_track)
        onset = onset_envelope(y, ONSET_CONFIG)
        music_beats = (analysis.beat_track.beats, analysis.beat_track.downbeats)
        if beats is not None:
            music_beats = (beats, downbeats)
            labels = {"beats": beats, "downbeats": downbeats}
            tracked_downbeat_f = beat_scores(analysis.beat_track, labels)["downbeat_f"]
        for name, library in libraries.items():
            start = time.perf_counter()
            dance = choreograph_from_library(analysis, embedding, library, FPS, controls)
            seconds[name] += time.perf_counter() - start
            plan, bar_beats = plan_segments(analysis, embedding, library, controls)
            planned = library.in_bars_of(analysis.beat_track.beats_per_bar)  # as planned
            warps[name] += warp_factors(planned, bar_beats)[np.arange(len(plan)), plan].tolist()
            joints = dance.joint_positions()
            changes, continuations = join_accelerations(joints, plan, bar_beats, planned.follows)
            joins[name][0].extend(changes)
            joins[name][1].extend(continuations)
            row = {
                "pfc": physical_foot_contact(joints, FPS),
                "foot_skate_cm_s": foot_skate(joints, dance.contacts, FPS),
                "holds": hold_share(joints, FPS),
                "speed_m_s": mean_joint_speed(joints, FPS),
                "travel_m_min": travel_per_minute(joints, FPS),
                "turns_min": turns_per_minute(joints, FPS),
                "accent": accent_alignment(joints, FPS, *music_beats, onset, ONSET_RATE),
            }
            if beats is not None:
                row["set"] = path.parent.name
                row["tracker_downbeat_f"] = tracked_downbeat_f
                row["bas"] = beat_align_score(joints, FPS, beats)
                row["beat_hit"] = beat_hit_rate(joints, FPS, beats)
                row["downbeat_hit"] = beat_hit_rate(joints, FPS, downbeats)
            rows[name].append(row)
            clips[name] += [features(w) for w in windows(joints)]
            song_features[name].append(features(joints))
        print(f"  {path.name}", file=sys.stderr, flush=True)

    every_k = np.array([k for f in song_features.values() for k, _ in f])
    every_g = np.array([g for f in song_features.values() for _, g in f])
    columns = ["bas", "beat_hit", "downbeat_hit", "accent", "pfc", "foot_skate_cm_s", "holds"]
    columns += ["speed_m_s", "travel_m_min", "turns_min"]
    n_annotated = sum(beats is not None for _, beats, _, _ in songs)
    source = "annotated" if args.given_beats else "tracked"
    print(
        f"{len(songs)} songs ({n_annotated} annotated: BAS and hits on those), seed 0, 30 fps, "
        f"accent {args.accent:g}, dancing on the {source} beats"
    )
    header = columns + ["Div_k", "Div_g", "FID_k", "FID_g", "warp p5/p50/p95", "in 0.8-1.25"]
    header += ["join accel m/s2 (take goes on)"]
    print("| library | " + " | ".join(header) + " | s per song |")
    print("|---" * (len(header) + 2) + "|")
    for name, figures in rows.items():
        cells = [f"{np.mean([f[c] for f in figures if c in f]):.3f}" for c in columns]
        cells.append(f"{diversity(np.array([k for k, _ in song_features[name]]), every_k):.2f}")
        cells.append(f"{diversity(np.array([g for _, g in song_features[name]]), every_g):.2f}")
        for which, real_features in ((0, real_k), (1, real_g)):
            ours = np.array([f[which] for f in clips[name]])
            cells.append(f"{diagonal_frechet_distance(ours, real_features['held out']):.1f}")
        w = np.array(warps[name])
        cells.append("/".join(f"{np.percentile(w, q):.2f}" for q in (5, 50, 95)))
        cells.append(f"{np.mean(np.abs(np.log(w)) <= np.log(1.25)):.2f}")
        changes, continuations = joins[name]
        cells.append(f"{np.mean(changes):.2f} ({np.mean(continuations):.2f})")
        print(f"| {name} | " + " | ".join(cells) + f" | {seconds[name] / len(songs):.2f} |")
    # Per set of annotated songs, so that what the tracker's downbeats cost shows beside the
    # dance's hits (mir_eval downbeat F of the beats the dance was made on).
    per_set = ["bas", "beat_hit", "downbeat_hit", "tracker_downbeat_f"]
    print("\n| library | set | songs | " + " | ".join(per_set) + " |")
    print("|---" * (len(per_set) + 3) + "|")
    for name, figures in rows.items():
        for kind in sorted({f["set"] for f in figures if "set" in f}):
            of_set = [f for f in figures if f.get("set") == kind]
            cells = [f"{np.mean([f[c] for f in of_set]):.3f}" for c in per_set]
            print(f"| {name} | {kind} | {len(of_set)} | " + " | ".join(cells) + " |")
    k_real = diagonal_frechet_distance(real_k["library"], real_k["held out"])
    g_real = diagonal_frechet_distance(real_g["library"], real_g["held out"])
    print(f"real against real (library takes against held-out takes): FID_k {k_real:.1f}, "
          f"FID_g {g_real:.1f}")  # fmt: skip
    # The held-out reference is a few takes: how much one of them sways FID_k shows in the
    # distance with each left out in turn.
    takes = np.array(held_out_take)
    dances = {name: np.array([k for k, _ in clips[name]]) for name in libraries}
    for name, ours in {"real (library takes)": real_k["library"], **dances}.items():
        without = []
        for take in dict.fromkeys(held_out_take):
            distance = diagonal_frechet_distance(ours, real_k["held out"][takes != take])
            without.append(f"{take} ({(takes == take).sum()} windows) {distance:.1f}")
        print(f"{name}: FID_k without one held-out take: " + ", ".join(without))


if __name__ == "__main__":
    main()
