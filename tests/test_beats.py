import json

import mir_eval
import numpy as np
import pytest

from core.audio.decode import SAMPLE_RATE, load_audio
from core.audio.demo_song import DEMO_BARS, DEMO_BPM
from core.beats.librosa_tracker import choose_downbeat_phase, track_beats
from tests.conftest import SHARED_DATA, annotated_times, require_shared_data


def f_measure(reference, estimate):
    return mir_eval.beat.f_measure(
        mir_eval.beat.trim_beats(np.asarray(reference)),
        mir_eval.beat.trim_beats(np.asarray(estimate)),
    )


def test_demo_song_tempo_beats_and_downbeats(demo_dance):
    analysis, _ = demo_dance
    track = analysis.beat_track
    period = 60.0 / DEMO_BPM
    assert track.tempo_bpm == pytest.approx(DEMO_BPM, rel=0.03)
    assert f_measure(np.arange(DEMO_BARS * 4) * period, track.beats) > 0.9
    assert f_measure(np.arange(DEMO_BARS) * 4 * period, track.downbeats) > 0.9


def test_downbeat_phase_is_the_most_accented():
    accents = np.tile([0.2, 0.3, 1.0, 0.4], 8)
    assert choose_downbeat_phase(accents, 4) == 2


def test_downbeats_on_annotated_lmms_song():
    folder = require_shared_data(SHARED_DATA / "beats" / "lmms")
    song = json.loads((folder / "beats.json").read_text())["Oglsdl-Dr8v2"]
    track = track_beats(load_audio(folder / song["audio"]), SAMPLE_RATE)
    assert f_measure(annotated_times(song["beats"]), track.beats) > 0.9
    assert f_measure(annotated_times(song["downbeats"]), track.downbeats) > 0.9
