"""The built extension zip installed into Blender the way a user installs it, and the headless
batch script and CLI that write .blend files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from scipy.spatial.transform import Rotation

from core.audio.decode import SAMPLE_RATE
from core.audio.demo_song import synthesize_demo_song
from core.body.motion import Motion
from core.body.skeleton import JOINT_NAMES
from core.generate import generate_dance
from motionbeat_addon.conversion import to_z_up
from tests.blender_helpers import evaluated_joint_positions
from tests.blender_scripts.dance_plan import dance_plan
from tests.conftest import ROOT

bpy = pytest.importorskip("bpy")
pytestmark = pytest.mark.blender


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def write_groove(path: Path, samples: np.ndarray) -> Path:
    soundfile.write(str(path), samples, SAMPLE_RATE)
    return path


def open_blend(path: Path):
    bpy.ops.wm.open_mainfile(filepath=str(path))
    (armature,) = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    return armature


def assert_reproduces(armature, motion: Motion, n_samples: int = 6) -> None:
    frames = np.linspace(0, motion.n_frames - 1, n_samples).astype(int)
    keyed = evaluated_joint_positions(bpy, armature, frames + 1)
    assert np.abs(keyed - to_z_up(motion.joint_positions()[frames])).max() < 1e-3


BPY_VERSIONS = ("5.0.1", "4.2.*")  # the newest and the LTS (pre-4.4 F-curve API)
HEAVY_PACKAGES = ("torch", "librosa", "scipy", "soundfile", "soxr", "core")


@pytest.fixture(scope="module")
def linux_zip(tmp_path_factory) -> Path:
    out_dir = tmp_path_factory.mktemp("dist")
    result = run("build.py", "--out-dir", str(out_dir), "--platform", "linux-x64")
    assert result.returncode == 0, result.stderr
    zip_path = Path(result.stdout.strip().splitlines()[-1])
    assert zip_path.name == "motionbeat-0.1.0-linux_x64.zip" and zip_path.is_file()
    return zip_path


@pytest.fixture(scope="module", params=BPY_VERSIONS)
def bpy_only_python(request, tmp_path_factory) -> Path:
    """A fresh virtual environment holding bpy and what bpy itself requires, nothing else."""
    venv = tmp_path_factory.mktemp(f"bpy-{request.param.strip('.*')}")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", f"bpy=={request.param}"]
    subprocess.run(install, check=True, capture_output=True)
    return python


def test_zip_holds_the_addon_and_its_wheels_and_no_tests(linux_zip):
    import zipfile

    names = zipfile.ZipFile(linux_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    wheels = {n.split("/")[1].split("-")[0] for n in names if n.startswith("wheels/")}
    assert wheels == {"motionbeat_core", "scipy", "soundfile", "cffi", "pycparser"} | {
        "typing_extensions",
        "soxr",
        "threadpoolctl",
    }
    assert all("manylinux" in n or "none-any" in n for n in names if n.endswith(".whl"))
    assert not any("test" in n for n in names)
    core_wheel = next(n for n in names if n.startswith("wheels/motionbeat_core"))
    with zipfile.ZipFile(linux_zip).open(core_wheel) as fh:
        core_names = zipfile.ZipFile(fh).namelist()
    assert "core/weights/beat_tracker.npz" in core_names
    assert not any(n.endswith(".pt") for n in core_names)  # torch checkpoints stay out


def test_extension_generates_in_a_python_with_only_bpy(
    bpy_only_python, linux_zip, real_song, tmp_path, request
):
    """The zip installed the way a user installs it, into a Python with none of the project's
    dependencies (with bpy 4.2, numpy 2, where the project has 1.26), makes the very dance the
    CLI makes: the same segment choices, poses within 1e-4 rad, root within 1e-5 m."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = "import importlib.util as u; print([m for m in %r if u.find_spec(m)])"
    found = subprocess.run(
        [str(bpy_only_python), "-c", probe % (HEAVY_PACKAGES,)],
        capture_output=True, text=True, cwd=tmp_path, check=True, env=env,
    )  # fmt: skip
    assert found.stdout.strip() == "[]"
    out = tmp_path / "real song.blend"
    user_folder = tmp_path / "blender user"
    result = subprocess.run(
        [
            str(bpy_only_python),
            str(ROOT / "tests" / "blender_scripts" / "install_and_generate.py"),
            str(linux_zip),
            str(real_song),
            str(out),
            "7",
            str(tmp_path / "plan.npz"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the project: its packages must not be importable
        env={**env, "BLENDER_USER_RESOURCES": str(user_folder)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (user_folder / "extensions" / "user_default" / "motionbeat").is_dir()

    armature = open_blend(out)
    scene = bpy.context.scene
    assert sorted(b.name for b in armature.data.bones) == sorted(JOINT_NAMES)
    _, motion = generate_dance(real_song, seed=7, fps=30)
    assert (scene.frame_start, scene.frame_end) == (1, motion.n_frames)
    audio = "import bpy; print(bpy.app.build_options.audaspace)"
    has_audio = subprocess.run(
        [str(bpy_only_python), "-c", audio], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    if has_audio == "True":
        (strip,) = scene.sequence_editor.strips
        assert Path(strip.sound.filepath).name == real_song.name
    else:  # the bpy 4.2 module is built without audio: the dance comes without its strip
        assert scene.sequence_editor is None or len(scene.sequence_editor.strips) == 0
    assert {"contact_left_ankle", "contact_right_foot"} <= set(armature.keys())
    assert len([m for m in scene.timeline_markers if m.name.startswith("bar ")]) == len(
        motion.downbeats
    )
    assert_reproduces(armature, motion)

    theirs, ours = np.load(tmp_path / "plan.npz"), dance_plan(str(real_song), 7)
    # bpy 4.2 brings numpy 2 (2.4.6 on 2026-12-02), bpy 5.0.1 pins 1.26.4 as the project does.
    bpy_version = request.node.callspec.params["bpy_only_python"]
    assert str(theirs["numpy"]).startswith("2." if bpy_version == "4.2.*" else "1.26")
    np.testing.assert_array_equal(theirs["segments"], ours["segments"])
    between = Rotation.from_rotvec(theirs["poses"].reshape(-1, 3)).inv() * Rotation.from_rotvec(
        ours["poses"].reshape(-1, 3)
    )
    assert between.magnitude().max() < 1e-4
    np.testing.assert_allclose(theirs["trans"], ours["trans"], atol=1e-5, rtol=0)


def test_batch_over_a_folder_writes_blends_videos_and_summaries(tmp_path):
    """Two songs and a broken file: the songs get their .blend files, the broken one its error,
    and the exit status says that something failed."""
    songs = tmp_path / "songs"
    songs.mkdir()
    write_groove(songs / "groove.wav", synthesize_demo_song(bpm=100, bars=2))
    write_groove(songs / "demo.wav", synthesize_demo_song(bars=2))
    (songs / "broken.ogg").write_bytes(b"OggS" + b"\x00" * 300)
    (songs / "notes.txt").write_text("not a song")
    out = tmp_path / "out"
    # As a file, the way `blender -b -P motionbeat_addon/batch.py -- ...` runs it.
    script = str(ROOT / "motionbeat_addon" / "batch.py")
    result = run(
        script, str(songs), "--out", str(out), "--alternatives", "2", "--seed", "4",
        "--export", "npz", "--export", "bvh",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "broken.ogg" in result.stderr
    made = [f"{stem}{suffix}" for stem in ("demo", "demo_alt1", "groove", "groove_alt1")
            for suffix in (".blend", ".npz", ".bvh")]  # fmt: skip
    summaries = ["broken.json", "demo.json", "groove.json"]
    assert sorted(p.name for p in out.iterdir()) == sorted(made + summaries)
    broken = json.loads((out / "broken.json").read_text())
    assert broken["status"] == "error" and "broken.ogg" in broken["error"]
    demo = json.loads((out / "demo.json").read_text())
    assert demo["status"] == "ok" and demo["time_signature"] == "4/4"
    assert demo["tempo_bpm"] == pytest.approx(120, rel=0.03)
    assert [d["seed"] for d in demo["dances"]] == [4, 5]
    _, motion = generate_dance(songs / "demo.wav", seed=5, fps=30)
    armature = open_blend(out / "demo_alt1.blend")
    assert bpy.context.scene.frame_end == motion.n_frames
    assert_reproduces(armature, motion)
    exported = Motion.load_npz(out / "demo_alt1.npz")
    np.testing.assert_allclose(exported.joint_positions(), motion.joint_positions(), atol=1e-4)


def test_batch_render_writes_a_video_with_the_song_s_audio(tmp_path):
    song = write_groove(
        tmp_path / "clip.wav", synthesize_demo_song(bars=2)[: int(2.2 * SAMPLE_RATE)]
    )
    result = run("-m", "motionbeat_addon.batch", str(song), "--out", str(tmp_path), "--render")
    assert result.returncode == 0, result.stderr[-2000:]
    video = (tmp_path / "clip.mp4").read_bytes()
    assert b"avc1" in video and b"mp4a" in video  # H.264 video and AAC audio tracks
    summary = json.loads((tmp_path / "clip.json").read_text())
    assert summary["dances"][0]["video"] == str(tmp_path / "clip.mp4")


def test_batch_keys_an_existing_dance_and_fails_cleanly_on_a_bad_one(demo_song, tmp_path):
    _, motion = generate_dance(demo_song, seed=4, fps=30)
    dance = motion.save_npz(tmp_path / "dance.npz")
    out = tmp_path / "keyed" / "dance.blend"
    result = run(
        "-m", "motionbeat_addon.batch", str(demo_song), "--motion", str(dance), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert_reproduces(open_blend(out), motion)
    (tmp_path / "bad.npz").write_bytes(b"PK junk")
    bad = run(
        "-m",
        "motionbeat_addon.batch",
        str(demo_song),
        "--motion",
        str(tmp_path / "bad.npz"),
        "--out",
        str(tmp_path / "bad.blend"),
    )
    assert bad.returncode == 1 and "bad.npz" in bad.stderr
    assert not (tmp_path / "bad.blend").exists()


def test_cli_blend_output_reproduces_the_npz_dance(demo_song, tmp_path):
    npz, blend = tmp_path / "dance.npz", tmp_path / "dance.blend"
    result = run(
        "-m",
        "motionbeat_addon.cli",
        "generate",
        str(demo_song),
        "--out",
        str(npz),
        "--out",
        str(blend),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert_reproduces(open_blend(blend), Motion.load_npz(npz), n_samples=10)


def test_batch_songs_sharing_a_name_keep_their_own_outputs_and_a_bad_out_is_one_line(tmp_path):
    songs = tmp_path / "songs"
    songs.mkdir()
    write_groove(songs / "same.wav", synthesize_demo_song(bars=2))
    write_groove(songs / "same.flac", synthesize_demo_song(bpm=100, bars=2))
    out = tmp_path / "out"
    result = run("-m", "motionbeat_addon.batch", str(songs), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    names = sorted(p.name for p in out.iterdir())
    assert names == ["same_flac.blend", "same_flac.json", "same_wav.blend", "same_wav.json"]
    tempi = {json.loads((out / n).read_text())["tempo_bpm"] for n in names if n.endswith("json")}
    assert len(tempi) == 2  # two songs, two dances
    a_file = tmp_path / "not a folder"
    a_file.write_text("x")
    bad = run("-m", "motionbeat_addon.batch", str(songs), "--out", str(a_file))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
