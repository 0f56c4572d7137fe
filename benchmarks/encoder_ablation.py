"""Does the MotionBeat music embedding choose better moves than other music features?

    python benchmarks/encoder_ablation.py [--limit N] [--pairs 64] [--cache DIR]

The same choreographer (``choreograph_from_library``, seed 0, 30 fps) and the same library (the
shipped CMU one), with the per-bar music embedding from:
(a) ``motionbeat``: the shipped encoder;
(b) ``untrained``: the same network with its untrained, seeded weights
    (``training.export.export_untrained``);
(c) ``hand-made``: librosa's onset strength, chroma and 20 MFCCs, averaged over each bar and
    mapped into the library's space by a ridge regression fitted on ``--pairs`` synthetic
    training pairs (``training.encoder.pairs.synthetic``), whose bars the shipped motion
    encoder embeds (``core.choreography.library_build.embed_bars``);
(d) ``no music``: no similarity term (energy, warp, transitions and stage only).
Per variant, on the songs of ``benchmarks/dance_quality.py``: accent alignment
(``core.metrics.accent_alignment``), BAS against the annotated beats, Div_k/Div_g across songs
and FID_k against held-out real capture; and style consistency on tang2018 when its SMPL fits
are in ``--cache`` (``benchmarks/tang2018_fit.py CACHE`` makes them): a library of tang2018's
training dances (research only, never shipped), and for each test song the share of bars whose
chosen segment is of the song's style (chance: 25 %, one of four). Prints one table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import librosa
import numpy as np
from sklearn.linear_model import Ridge

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dance_quality import FPS, ONSET_CONFIG, ONSET_RATE, annotated_songs, features, windows  # noqa: E402

from core.analysis import SongAnalysis, analyze_audio  # noqa: E402
from core.audio.decode import SAMPLE_RATE, load_audio  # noqa: E402
from core.choreography.library import default_library  # noqa: E402
from core.choreography.library_build import (  # noqa: E402
    CMU_HELD_OUT,
    capture_library,
    cmu_takes,
    embed_bars,
)
from core.choreography.motion_graph import (  # noqa: E402
    Controls,
    choreograph_from_library,
    plan_segments,
)
from core.metrics import (  # noqa: E402
    accent_alignment,
    beat_align_score,
    diagonal_frechet_distance,
    diversity,
)
from core.model.checkpoint import DEFAULT_MODEL, load_model  # noqa: E402
from core.model.embedding import SongEmbedding, embed_audio  # noqa: E402
from core.model.numpy_encoder import NumpyAudioEncoder, default_audio_encoder  # noqa: E402
from core.model.tokens import onset_envelope  # noqa: E402
from core.motion_files.load import load_bvh_motion  # noqa: E402
from training.encoder.pairs.synthetic import synthetic_clip  # noqa: E402
from training.encoder.pairs.tang2018 import TANG2018, fitted_motions, split_names  # noqa: E402
from training.export import export_untrained  # noqa: E402

VARIANTS = ("motionbeat", "untrained", "hand-made", "no music")
HOP = 512
RIDGE_ALPHA = 1.0  # chosen by hand; the features are standardised first
DATA = ROOT.parent / "shared" / "data"


def bar_features(y: np.ndarray, bar_times: np.ndarray, duration: float) -> np.ndarray:
    """(n_bars, 33): librosa's onset strength, chroma (12) and MFCCs (20), each frame's, averaged
    from each bar start to the next (the last to ``duration``)."""
    frames = np.vstack(
        [
            librosa.onset.onset_strength(y=y, sr=SAMPLE_RATE, hop_length=HOP)[None],
            librosa.feature.chroma_stft(y=y, sr=SAMPLE_RATE, hop_length=HOP),
            librosa.feature.mfcc(y=y, sr=SAMPLE_RATE, n_mfcc=20, hop_length=HOP),
        ]
    )
    n = frames.shape[1]
    edges = np.r_[bar_times, duration] * SAMPLE_RATE / HOP
    edges = np.clip(np.rint(edges).astype(int), 0, n - 1)
    return np.stack([frames[:, a : max(b, a + 1)].mean(axis=1) for a, b in pairwise(edges)])


def fit_hand_made_map(model, n_pairs: int):
    """A ridge regression from standardised ``bar_features`` to the motion encoder's bar
    embeddings of the synthetic pairs' dances: (mean, deviation, Ridge)."""
    config = model.config
    xs, ys = [], []
    for index in range(n_pairs):
        clip = synthetic_clip(index, seed=0, config=config, bars=6)
        per_bar = config.beats_per_bar
        starts = clip.beat_times[clip.first_downbeat_index :: per_bar]
        n_bars = (len(clip.beat_times) - 1 - clip.first_downbeat_index) // per_bar
        spans, beats = [], []
        for k in range(n_bars):
            bar = clip.beat_times[clip.first_downbeat_index + k * per_bar :][: per_bar + 1]
            a = int(np.rint(bar[0] * clip.fps))
            b = min(int(np.rint(bar[-1] * clip.fps)) + 1, len(clip.joints))
            spans.append((a, b))
            beats.append(bar - bar[0])
        ys.append(
            embed_bars(
                clip.joints, clip.contacts, clip.fps, np.array(spans), np.array(beats), model
            )
        )
        xs.append(bar_features(clip.audio, starts[:n_bars], len(clip.audio) / SAMPLE_RATE))
    x, y = np.concatenate(xs), np.concatenate(ys)
    mean, deviation = x.mean(axis=0), x.std(axis=0) + 1e-9
    return mean, deviation, Ridge(alpha=RIDGE_ALPHA).fit((x - mean) / deviation, y)


def variant_embeddings(y, analysis: SongAnalysis, encoders, hand_made) -> dict[str, SongEmbedding]:
    """Each variant's embedding of one song; all share the shipped encoder's bar times."""
    out = {name: embed_audio(y, analysis.beat_track, encoder) for name, encoder in encoders.items()}
    base = out["motionbeat"]
    mean, deviation, ridge = hand_made
    x = bar_features(y, base.bar_times, analysis.duration)
    mapped = ridge.predict((x - mean) / deviation)
    mapped /= np.linalg.norm(mapped, axis=1, keepdims=True) + 1e-12
    out["hand-made"] = replace(base, bars=mapped.astype(np.float32))
    out["no music"] = replace(base, bars=np.zeros_like(base.bars))
    return out


def style_consistency(cache: Path, model, encoders, hand_made) -> dict[str, float] | None:
    """Per variant, the share of tang2018 test songs' bars danced in the song's style."""
    if not TANG2018.is_dir():
        return None
    meta = json.loads((TANG2018 / "meta.json").read_text())
    train, test = split_names("train"), split_names("test")
    if not all((cache / f"tang2018-fit-{n}.npz").is_file() for n in train + test):
        return None
    motions = fitted_motions(train, cache)
    takes = [(n, motions[n], meta[n]["style"]) for n in train]
    library = capture_library(takes, model).with_mirrors()
    shares = {name: [] for name in VARIANTS}
    for name in test:
        y = load_audio(TANG2018 / f"{name}.ogg")
        analysis = analyze_audio(y)
        for variant, embedding in variant_embeddings(y, analysis, encoders, hand_made).items():
            plan, _ = plan_segments(analysis, embedding, library, Controls())
            styles = [library.tag_sets[s] for s in plan]
            shares[variant].append(np.mean([meta[name]["style"] in s for s in styles]))
    return {variant: float(np.mean(values)) for variant, values in shares.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="the first N songs only")
    parser.add_argument("--pairs", type=int, default=64, help="synthetic pairs for the map")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "motionbeat")
    args = parser.parse_args()
    model = load_model(DEFAULT_MODEL, "cpu")
    library = default_library()
    with tempfile.TemporaryDirectory() as scratch:
        untrained = NumpyAudioEncoder(export_untrained(Path(scratch) / "untrained.npz"))
    encoders = {"motionbeat": default_audio_encoder(), "untrained": untrained}
    hand_made = fit_hand_made_map(model, args.pairs)

    real = []
    for _, path, _ in cmu_takes(DATA / "motion", held_out=True):
        real += [features(w)[0] for w in windows(load_bvh_motion(path, FPS).joint_positions())]
    rows = {name: {"accent": [], "bas": [], "k": [], "g": [], "clips": []} for name in VARIANTS}
    songs = annotated_songs()[: args.limit]
    for path, beats, downbeats, _ in songs:
        y = load_audio(path)
        analysis = analyze_audio(y)
        onset = onset_envelope(y, ONSET_CONFIG)
        if beats is None:
            beats, downbeats = analysis.beat_track.beats, analysis.beat_track.downbeats
        embeddings = variant_embeddings(y, analysis, encoders, hand_made)
        for name, embedding in embeddings.items():
            dance = choreograph_from_library(analysis, embedding, library, FPS, Controls())
            joints = dance.joint_positions()
            row = rows[name]
            row["accent"].append(accent_alignment(joints, FPS, beats, downbeats, onset, ONSET_RATE))
            row["bas"].append(beat_align_score(joints, FPS, beats))
            k, g = features(joints)
            row["k"].append(k)
            row["g"].append(g)
            row["clips"] += [features(w)[0] for w in windows(joints)]
        print(f"  {path.name}", file=sys.stderr, flush=True)
    styles = style_consistency(args.cache, model, encoders, hand_made)

    every_k = np.array([k for row in rows.values() for k in row["k"]])
    every_g = np.array([g for row in rows.values() for g in row["g"]])
    print(f"{len(songs)} songs, seed 0, 30 fps, the shipped CMU library; held out: {CMU_HELD_OUT}")
    print("| music embedding | accent alignment | BAS | Div_k | Div_g | FID_k | tang2018 style |")
    print("|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        fid = diagonal_frechet_distance(np.array(row["clips"]), np.array(real))
        style = "-" if styles is None else f"{styles[name]:.2f}"
        print(
            f"| {name} | {np.mean(row['accent']):.3f} | {np.mean(row['bas']):.3f} | "
            f"{diversity(np.array(row['k']), every_k):.2f} | "
            f"{diversity(np.array(row['g']), every_g):.2f} | {fid:.1f} | {style} |"
        )


if __name__ == "__main__":
    main()
