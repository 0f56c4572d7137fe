"""The motionbeat command line, run as a user runs it: a separate process."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from core.motion import Motion
from tests.conftest import BAD_SONGS


def motionbeat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True, text=True)


@pytest.mark.parametrize("tracker", ["motionbeat", "librosa"])
def test_analyze_prints_tempo_beats_and_downbeats_as_json(demo_song, tracker):
    result = motionbeat("analyze", str(demo_song), "--json", "--tracker", tracker)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["tracker"] == tracker
    assert summary["tempo_bpm"] == pytest.approx(120, rel=0.03)
    assert summary["time_signature"] == "4/4"
    assert set(summary["downbeats"]) <= set(summary["beats"])
    assert len(summary["beats"]) > 40
    times, bpms = np.array(summary["tempo_curve"]).T
    np.testing.assert_allclose(times, summary["beats"][1:])
    assert np.median(bpms) == pytest.approx(120, rel=0.03)
    if tracker == "motionbeat":
        assert 0.5 < summary["confidence"] <= 1.0
    else:
        assert summary["confidence"] is None


def test_generate_writes_a_loadable_dance_into_a_new_folder(demo_song, tmp_path):
    out = tmp_path / "new folder" / "dance.npz"
    result = motionbeat("generate", str(demo_song), "--out", str(out), "--seed", "3", "--fps", "24")
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout and "bas" in result.stdout
    motion = Motion.load_npz(out)
    assert motion.fps == 24 and motion.n_frames == pytest.approx(25.0 * 24, abs=1)
    assert len(motion.downbeats) >= 10


@pytest.mark.parametrize("make, message", BAD_SONGS)
def test_bad_song_exits_1_with_one_line_on_stderr_and_writes_nothing(tmp_path, make, message):
    folder = tmp_path / "mes chansons ♪"
    folder.mkdir()
    song = folder / "bad song.wav"
    make(song)
    out = tmp_path / "dance.npz"
    result = motionbeat("generate", str(song), "--out", str(out))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("motionbeat: AudioLoadError: ") and message in result.stderr
    assert not out.exists()


def test_unknown_output_type_is_refused_before_any_work(demo_song, tmp_path):
    result = motionbeat("generate", str(demo_song), "--out", str(tmp_path / "dance.fbx"))
    assert result.returncode == 1 and ".npz or .blend" in result.stderr


def test_the_same_song_and_seed_give_a_byte_identical_dance_across_thread_counts(
    demo_song, tmp_path
):
    outputs = []
    for threads in ("1", "2"):
        out = tmp_path / f"dance-{threads}.npz"
        env = {
            **os.environ,
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "NUMBA_NUM_THREADS": threads,
        }
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "core.cli",
                "generate",
                str(demo_song),
                "--out",
                str(out),
                "--seed",
                "5",
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


PEAK_OF_CHILD = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stderr.write(result.stderr)
"""


def test_a_30_minute_song_makes_a_dance_within_2_gib(demo_song, tmp_path):
    import numpy as np
    import soundfile

    groove, rate = soundfile.read(str(demo_song), dtype="int16")
    song = tmp_path / "thirty minutes.wav"
    soundfile.write(str(song), np.tile(groove, int(np.ceil(1800 * rate / len(groove)))), rate)
    out = tmp_path / "dance.npz"
    result = subprocess.run(
        [sys.executable, "-c", PEAK_OF_CHILD, sys.executable, "-m", "core.cli", "generate"]
        + [str(song), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    returncode, peak_kib = map(int, result.stdout.split())
    assert returncode == 0, result.stderr[-2000:]
    assert peak_kib < 2 * 2**20, f"peak memory {peak_kib / 2**20:.2f} GiB"
    assert Motion.load_npz(out).duration > 1790


BAD_OPTIONS = {
    "generate": [("--fps", "nan"), ("--fps", "inf"), ("--fps", "0"), ("--seed", "-1"),
                 ("--seed", "1.5"), ("--alternatives", "0"), ("--diversity", "nan"),
                 ("--diversity", "2"), ("--energy", "-3"), ("--stage-radius", "-1")],
    "convert": [("--fps", "0"), ("--fps", "abc")],
}  # fmt: skip


@pytest.mark.parametrize(
    "verb, option, value", [(v, o, x) for v, cases in BAD_OPTIONS.items() for o, x in cases]
)
def test_an_option_out_of_its_range_is_a_malformed_command_line(
    demo_song, tmp_path, verb, option, value
):
    out = tmp_path / "dance.npz"
    result = motionbeat(verb, str(demo_song), "--out", str(out), f"{option}={value}")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert option in last and "from" in last and "Traceback" not in result.stderr
    assert not out.exists()


def test_an_unknown_style_tag_is_refused_with_the_library_s_tags(demo_song, tmp_path):
    out = tmp_path / "dance.npz"
    result = motionbeat("generate", str(demo_song), "--out", str(out), "--avoid", "hiphop")
    assert result.returncode == 1 and not out.exists()
    assert result.stderr.count("\n") == 1 and "'hiphop'" in result.stderr
    assert "salsa" in result.stderr  # the default library's tags are listed


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(demo_song, tmp_path):
    song = tmp_path / "song.npz"  # a song whose name ends as an output does
    song.write_bytes(demo_song.read_bytes())
    link = tmp_path / "link.npz"
    link.symlink_to(song)
    before = song.read_bytes()
    for out in (song, link):
        result = motionbeat("generate", str(song), "--out", str(out))
        assert result.returncode == 1 and "is the input" in result.stderr, result.stderr
    result = motionbeat("generate", str(demo_song), "--out", str(tmp_path / "a.npz"),
                        "--out", str(tmp_path / "a.npz"))  # fmt: skip
    assert result.returncode == 1 and "twice" in result.stderr
    assert song.read_bytes() == before and not (tmp_path / "a.npz").exists()


def test_convert_and_library_build_do_not_write_over_their_inputs(demo_dance, tmp_path):
    _, motion = demo_dance
    take = motion.save_npz(tmp_path / "take.npz")
    before = take.read_bytes()
    for args in (("convert", str(take), "--out", str(take)),
                 ("library", "build", str(take), "--out", str(take)),
                 ("library", "build", str(tmp_path), "--out", str(take))):  # fmt: skip
        result = motionbeat(*args)
        assert result.returncode == 1 and "is the input" in result.stderr, (args, result.stderr)
    assert take.read_bytes() == before


def test_no_code_in_the_working_folder_runs_when_writing_a_blend(demo_song, tmp_path):
    pytest.importorskip("bpy")
    ran = tmp_path / "ran"
    trap = f"open({str(ran)!r}, 'w').close()\nraise SystemExit(0)\n"
    (tmp_path / "bpy.py").write_text(trap)
    (tmp_path / "motionbeat_addon").mkdir()
    (tmp_path / "motionbeat_addon" / "__init__.py").write_text(trap)
    (tmp_path / "motionbeat_addon" / "batch.py").write_text(trap)
    out = tmp_path / "dance.blend"
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "generate", str(demo_song), "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.is_file() and not ran.exists()
