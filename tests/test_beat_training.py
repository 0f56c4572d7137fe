"""Training the beat tracker: targets, augmentation, checkpoints and export."""

import json
from pathlib import Path

import mido
import numpy as np
import pytest
import torch

from core.beats.decoder import DOWNBEAT_PRIOR
from core.beats.network import BeatNet, BeatNetConfig
from tests.conftest import SHARED_DATA, require_shared_data
from training.beats.data import (
    MIN_GRID_FRACTION,
    MIN_ON_BEAT_RATIO,
    NOT_HEARD,
    Example,
    Variant,
    grid_fraction,
    labels_are_heard,
    midi_jobs,
    on_beat_ratio,
    rewrite_midi,
)
from training.beats.train import (
    BeatTrainConfig,
    Crops,
    frame_targets,
    tempo_loss,
    tempo_target,
    train,
)

FPS = 50.0
N_MELS = 8
NET = BeatNetConfig(n_mels=N_MELS)  # 50 fps


def spiky_example(beats: np.ndarray, n_frames: int) -> Example:
    """Features whose flux columns spike on the beat frames, so alignment is visible."""
    features = np.zeros((n_frames, 2 * N_MELS), dtype=np.float16)
    features[np.round(beats * FPS).astype(int), N_MELS:] = 1.0
    return Example("spiky", features, beats, beats[::4])


def test_frame_targets_mark_the_beat_and_its_neighbours():
    target = frame_targets(np.array([0.0, 0.5, 0.99]), 50, FPS)
    assert target[0] == 1.0 and target[1] == 0.5 and target[24] == 0.5 and target[25] == 1.0
    # 0.99 s rounds to frame 50, past the end: only its left neighbour remains.
    assert target[49] == 0.5 and target.sum() == pytest.approx(1.5 + 2.0 + 0.5)


def test_tempo_target_peaks_at_the_median_beat_interval():
    intervals = NET.beat_intervals  # frames, 13 .. 55 at 50 fps
    target = tempo_target(np.arange(0.0, 10.0, 0.5), FPS, intervals)  # 25 frames a beat
    assert target.sum() == pytest.approx(1.0) and intervals[np.argmax(target)] == 25
    assert np.count_nonzero(target) == 5
    assert not tempo_target(np.array([0.0, 0.5]), FPS, intervals).any()  # too few beats
    assert not tempo_target(np.arange(0.0, 20.0, 2.0), FPS, intervals).any()  # 30 BPM


def test_tempo_loss_counts_only_crops_with_a_tempo():
    targets = torch.zeros(2, 4)
    targets[0, 1] = 1.0
    logits = torch.tensor([[0.0, 5.0, 0.0, 0.0], [9.0, -9.0, 0.0, 0.0]])
    expected = -torch.log_softmax(logits[0], dim=0)[1]
    assert tempo_loss(logits, targets).item() == pytest.approx(expected.item())
    assert tempo_loss(logits, torch.zeros(2, 4)).item() == 0.0


def test_stretched_crops_keep_labels_on_their_onsets():
    beats = np.arange(0.2, 60.0, 0.5)
    crops = Crops([spiky_example(beats, int(61 * FPS))], BeatTrainConfig(max_band_shift=0), NET)
    rng = np.random.default_rng(0)
    for _ in range(10):
        features, targets, tempo = crops.crop(rng, crops.examples[0], 600)
        onsets = features[:, N_MELS:].mean(axis=1)
        on_beat = targets[:, 0] == 1.0
        assert on_beat.sum() >= 10
        # Every labelled frame sits within a frame of a (stretched, interpolated) spike.
        near = np.maximum.reduce([np.roll(onsets, k) for k in (-1, 0, 1)])
        assert np.all(near[on_beat] > 0.2)
        # The tempo target peaks at the crop's own beat interval, stretched with it.
        interval = NET.beat_intervals[np.argmax(tempo)]
        assert abs(interval - np.median(np.diff(np.flatnonzero(on_beat)))) <= 1


def test_band_shift_moves_the_spectrum():
    example = spiky_example(np.arange(0.2, 20.0, 0.5), int(21 * FPS))
    example.features[:, 2] = 1.0  # one lit mel band
    crops = Crops([example], BeatTrainConfig(max_stretch=1.0, max_tilt=0.0), NET)
    lit = {
        int(np.argmax(crops.crop(np.random.default_rng(s), example, 300)[0][:, :N_MELS].mean(0)))
        for s in range(60)
    }
    assert lit == {0, 1, 2, 3, 4, 5}  # band 2 shifted by -3..3 (by -3 it leaves the range)


def test_training_resumes_and_exports_a_loadable_tracker(tmp_path):
    beats = np.arange(0.3, 30.0, 0.5)
    rng = np.random.default_rng(0)
    example = Example(
        "noise", rng.normal(size=(1500, 2 * 64)).astype(np.float16), beats, beats[::4]
    )
    config = BeatTrainConfig(
        steps=4, batch_size=2, crop_frames=200, checkpoint_every=2, validate_every=2,
        warmup_steps=1, model={"channels": 4, "dilations": [1, 2]},
    )  # fmt: skip
    stopped = BeatTrainConfig(**{**config.__dict__, "steps": 2})
    train(stopped, tmp_path, device_name="cpu", examples=([example], [example]))
    result = train(config, tmp_path, resume=True, device_name="cpu", examples=([example], []))
    assert np.isfinite(result["loss"])
    net = BeatNet(tmp_path / "beat_tracker.npz")
    assert net.config == BeatNetConfig(channels=4, dilations=(1, 2))
    activation, tempo = net.activations(np.zeros(22050, dtype=np.float32))
    assert activation.shape == (51, 2) and tempo.shape == net.config.beat_intervals.shape


def test_rewritten_midi_scales_tempo_and_drops_drums(tmp_path):
    song = mido.MidiFile()
    track = mido.MidiTrack()
    song.tracks.append(track)
    track.append(mido.Message("program_change", program=5, channel=0, time=0))
    track.append(mido.Message("note_on", note=36, channel=9, time=0))
    track.append(mido.Message("note_off", note=36, channel=9, time=240))
    track.append(mido.Message("note_on", note=60, channel=0, time=240))
    track.append(mido.Message("note_off", note=60, channel=0, time=480))
    source = tmp_path / "in.mid"
    song.save(source)
    target = tmp_path / "out.mid"
    rewrite_midi(Path(source), target, Variant("x", tempo_scale=1.25, drop_drums=True))
    rewritten = mido.MidiFile(target)
    assert rewritten.length == pytest.approx(mido.MidiFile(source).length / 1.25)
    channels = {m.channel for m in rewritten.tracks[0] if m.type.startswith("note")}
    assert channels == {0}
    # The melody starts at beat 1 (0.5 s at 120 BPM), now 0.4 s: dropped drums pass their time on.
    elapsed = 0.0
    for message in rewritten:  # iterating a MidiFile gives times in seconds
        elapsed += message.time
        if message.type == "note_on":
            break
    assert elapsed == pytest.approx(0.5 / 1.25)


def _midi_with_onsets(path: Path, ticks_per_beat: int, onsets: np.ndarray) -> Path:
    song = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    track = mido.MidiTrack()
    song.tracks.append(track)
    now = 0
    for onset in np.sort(onsets):
        track.append(mido.Message("note_on", note=60, time=int(onset) - now))
        track.append(mido.Message("note_off", note=60, time=0))
        now = int(onset)
    song.save(path)
    return path


def test_grid_fraction_tells_scored_notes_from_a_clock_in_ticks(tmp_path):
    rng = np.random.default_rng(0)
    # A score: sixteenths and triplet eighths at 480 ticks per beat.
    steps = np.concatenate([rng.integers(0, 256, 300) * 120, rng.integers(0, 192, 100) * 160])
    scored = _midi_with_onsets(tmp_path / "scored.mid", 480, steps)
    # A MUS conversion: 89 ticks per beat counting a 140 Hz clock, notes anywhere on it.
    clocked = _midi_with_onsets(tmp_path / "clocked.mid", 89, rng.integers(0, 89 * 64, 400))
    assert grid_fraction(scored) == 1.0
    assert grid_fraction(clocked) < MIN_GRID_FRACTION


def test_unheard_labels_are_the_mus_conversions_bunny_and_romer2():
    labels_file = require_shared_data(SHARED_DATA / "beats" / "midi" / "beats.json")
    labels = json.loads(labels_file.read_text())
    left_out = set()
    mus = set()  # files converted from MUS: 89 ticks per beat, MUS's 140 Hz clock at 95 BPM
    for song, entry in labels.items():
        name = song.split("_D_", 1)[1]
        if not labels_are_heard(entry):
            left_out.add(name)
        if mido.MidiFile(labels_file.parent / entry["midi"]).ticks_per_beat == 89:
            mus.add(name)
    assert len(mus) == 10
    assert left_out == mus | {"BUNNY", "ROMER2"}


def test_the_tracker_modules_left_out_are_those_whose_onsets_fall_between_the_labelled_beats():
    folder = require_shared_data(SHARED_DATA / "beats" / "modules")
    from core.audio.decode import load_audio

    under = set()
    for song, entry in json.loads((folder / "beats.json").read_text()).items():
        beats = np.asarray(entry["beats"])
        if on_beat_ratio(load_audio(folder / entry["audio"]), beats, 22050) < MIN_ON_BEAT_RATIO:
            under.add(f"modules__{song}")
    assert under == NOT_HEARD


def test_on_beat_ratio_tells_a_grid_on_the_clicks_from_one_between_them():
    clicks = np.zeros(22050 * 8, dtype=np.float32)
    for t in np.arange(0.5, 7.5, 0.5):
        clicks[int(t * 22050) : int(t * 22050) + 200] = 0.8
    beats = np.arange(0.5, 7.5, 0.5)
    assert on_beat_ratio(clicks, beats, 22050) > 2.0
    assert on_beat_ratio(clicks, beats + 0.25, 22050) < 0.5


def test_the_decoders_downbeat_prior_is_the_training_songs_share_of_downbeats():
    require_shared_data(SHARED_DATA / "beats" / "midi" / "beats.json")
    # The training split as training reads it: one labels entry per song, whatever its variants.
    training = {song: entry for song, entry, *_ in midi_jobs(BeatNetConfig(), validation=False)}
    downbeats = sum(len(entry["downbeats"]) for entry in training.values())
    beats = sum(len(entry["beats"]) for entry in training.values())
    assert downbeats / beats == pytest.approx(DOWNBEAT_PRIOR, abs=0.005)
