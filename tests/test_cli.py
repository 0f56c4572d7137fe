"""The motionbeat command line, run as a user runs it: a separate process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.body.motion import Motion
from tests.conftest import BAD_SONGS

# The installed command, as a user runs it (it is motionbeat_addon.cli, which keys .blend files).
MOTIONBEAT = str(Path(sys.executable).with_name("motionbeat"))


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


def test_the_accent_option_reaches_the_dance(demo_song, tmp_path):
    own, accented = tmp_path / "own.npz", tmp_path / "accented.npz"
    for out, accent in ((own, "0"), (accented, "0.5")):
        result = motionbeat("generate", str(demo_song), "--out", str(out), "--accent", accent)
        assert result.returncode == 0, result.stderr
    a, b = Motion.load_npz(own), Motion.load_npz(accented)
    assert a.n_frames == b.n_frames and np.abs(a.poses - b.poses).max() > 0.1


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


def test_a_30_minute_song_makes_a_dance_within_1_gib(demo_song, tmp_path):
    """Memory grows with the song's length, not its square (0.62 GiB measured)."""
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
    assert peak_kib < 2**20, f"peak memory {peak_kib / 2**20:.2f} GiB"
    assert Motion.load_npz(out).duration > 1790


BAD_OPTIONS = {
    "generate": [("--fps", "nan"), ("--fps", "inf"), ("--fps", "0"), ("--seed", "-1"),
                 ("--seed", "1.5"), ("--alternatives", "0"), ("--diversity", "nan"),
                 ("--diversity", "2"), ("--energy", "-3"), ("--stage-radius", "-1"),
                 ("--accent", "0.95")],
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
        [MOTIONBEAT, "generate", str(demo_song), "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.is_file() and not ran.exists()


def test_a_generate_that_fails_writes_none_of_its_outputs(demo_song, tmp_path, capsys):
    """The .blend writer fails after the .npz of the same dance is written: neither that nor
    any alternative is left, an existing file keeps its bytes, and no temporary remains."""
    from core.cli import main
    from core.errors import MotionBeatError

    def failing_writer(song, motion, out):
        out.write_bytes(b"half a .blend")
        raise MotionBeatError("Blender could not save")

    kept = tmp_path / "kept.npz"
    kept.write_bytes(b"the user's own file")
    argv = ["generate", str(demo_song), "--alternatives", "2", "--out", str(kept)]
    status = main([*argv, "--out", str(tmp_path / "dance.blend")], blend_writer=failing_writer)
    assert status == 1 and "Blender could not save" in capsys.readouterr().err
    assert kept.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.npz"]


def test_a_blend_without_bpy_is_refused_before_any_work(demo_song, tmp_path):
    result = motionbeat("generate", str(demo_song), "--out", str(tmp_path / "dance.blend"))
    assert result.returncode == 1 and "Blender's Python module" in result.stderr
    assert result.stderr.count("\n") == 1 and not any(tmp_path.iterdir())


def test_the_choreographers_go_by_what_they_do_and_their_old_names(demo_song, tmp_path):
    dances = {}
    for name in ("procedural", "v1", "library", "v2"):
        out = tmp_path / f"{name}.npz"
        result = motionbeat("generate", str(demo_song), "--choreographer", name, "--out", str(out))
        assert result.returncode == 0, result.stderr
        dances[name] = Motion.load_npz(out).poses
    np.testing.assert_array_equal(dances["procedural"], dances["v1"])
    np.testing.assert_array_equal(dances["library"], dances["v2"])
    assert not np.allclose(dances["procedural"][: len(dances["library"])], dances["library"])


def _damaged_mp3(path, seconds, damage):
    import soundfile

    from core.audio.demo_song import SAMPLE_RATE, synthesize_demo_song

    soundfile.write(str(path), synthesize_demo_song(bars=int(seconds / 2)), SAMPLE_RATE)
    data, rate = soundfile.read(str(path))
    soundfile.write(str(path), data, rate, format="MP3")
    raw = bytearray(path.read_bytes())
    for at in np.random.default_rng(0).integers(2000, len(raw) - 100, damage):
        raw[at : at + 8] = b"\xff\xfb\x00\x00\xff\xff\xff\xff"  # a frame header that lies
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("damage", [6, 60])
def test_a_damaged_mp3_gives_the_project_s_one_line_not_the_decoder_s_notes(tmp_path, damage):
    """The decoder skips damaged frames with a note each; the user sees a dance and nothing,
    or the project's one line (when too little decodes)."""
    song = _damaged_mp3(tmp_path / "damaged.mp3", 8.0, damage)
    result = motionbeat("generate", str(song), "--out", str(tmp_path / "dance.npz"))
    assert result.returncode in (0, 1) and "Note:" not in result.stderr
    assert result.stderr.count("\n") == result.returncode, result.stderr


def test_a_float_song_past_full_scale_dances_without_warnings(tmp_path):
    import soundfile

    from core.audio.demo_song import SAMPLE_RATE, synthesize_demo_song

    song = tmp_path / "loud.wav"
    soundfile.write(str(song), synthesize_demo_song(bars=3) * 1e30, SAMPLE_RATE, subtype="FLOAT")
    result = motionbeat("generate", str(song), "--out", str(tmp_path / "dance.npz"))
    assert result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize(
    ("key", "value", "message"), [("poses", 1e30, "radians"), ("trans", 3e38, " m")]
)
def test_a_motion_with_absurd_values_is_refused_in_one_line(tmp_path, key, value, message):
    arrays = {"poses": np.zeros((60, 72)), "trans": np.zeros((60, 3)), "mocap_framerate": 30.0}
    arrays[key] = np.full_like(arrays[key], value, dtype=np.float32)
    np.savez(tmp_path / "absurd.npz", **arrays)
    result = motionbeat("convert", str(tmp_path / "absurd.npz"), "--out", str(tmp_path / "x.bvh"))
    assert result.returncode == 1 and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "x.bvh").exists()
