"""The built extension zip installed into Blender the way a user installs it, and the headless
batch script and CLI that write .blend files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.generate import generate_dance
from core.motion import Motion
from core.skeleton import JOINT_NAMES
from motionbeat_addon.conversion import to_z_up
from tests.blender_helpers import evaluated_joint_positions
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


def open_blend(path: Path):
    bpy.ops.wm.open_mainfile(filepath=str(path))
    (armature,) = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    return armature


def assert_reproduces(armature, motion: Motion, n_samples: int = 6) -> None:
    frames = np.linspace(0, motion.n_frames - 1, n_samples).astype(int)
    keyed = evaluated_joint_positions(bpy, armature, frames + 1)
    assert np.abs(keyed - to_z_up(motion.joint_positions()[frames])).max() < 1e-3


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory) -> Path:
    out_dir = tmp_path_factory.mktemp("dist")
    result = run("build.py", "--out-dir", str(out_dir))
    assert result.returncode == 0, result.stderr
    zip_path = Path(result.stdout.strip().splitlines()[-1])
    assert zip_path.is_file()
    return zip_path


def test_zip_holds_the_addon_and_the_core_wheel_and_no_tests(extension_zip):
    import zipfile

    names = zipfile.ZipFile(extension_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert any(n.startswith("wheels/motionbeat_core-") for n in names)
    assert not any("test" in n for n in names)


def test_installed_extension_generates_a_dance_on_a_real_song(extension_zip, real_song, tmp_path):
    out = tmp_path / "real song.blend"
    user_folder = tmp_path / "blender user"
    result = run(
        str(ROOT / "tests" / "blender_scripts" / "install_and_generate.py"),
        str(extension_zip),
        str(real_song),
        str(out),
        "7",
        env={"BLENDER_USER_RESOURCES": str(user_folder)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (user_folder / "extensions" / "user_default" / "motionbeat").is_dir()

    armature = open_blend(out)
    scene = bpy.context.scene
    assert sorted(b.name for b in armature.data.bones) == sorted(JOINT_NAMES)
    _, motion = generate_dance(real_song, seed=7, fps=30)
    assert (scene.frame_start, scene.frame_end) == (1, motion.n_frames)
    (strip,) = scene.sequence_editor.strips
    assert Path(strip.sound.filepath).name == real_song.name
    assert {"contact_left_ankle", "contact_right_foot"} <= set(armature.keys())
    assert len([m for m in scene.timeline_markers if m.name.startswith("bar ")]) == len(
        motion.downbeats
    )
    assert_reproduces(armature, motion)


def test_batch_script_writes_a_blend_and_fails_cleanly_on_a_bad_song(demo_song, tmp_path):
    out = tmp_path / "batch out" / "dance.blend"
    result = run("-m", "motionbeat_addon.batch", str(demo_song), "--out", str(out), "--seed", "4")
    assert result.returncode == 0, result.stderr[-2000:]
    armature = open_blend(out)
    _, motion = generate_dance(demo_song, seed=4, fps=30)
    assert bpy.context.scene.frame_end == motion.n_frames
    assert_reproduces(armature, motion)

    bad = tmp_path / "broken.ogg"
    bad.write_bytes(b"OggS" + b"\x00" * 300)
    # As a file, the way `blender -b -P motionbeat_addon/batch.py -- ...` runs it.
    script = str(ROOT / "motionbeat_addon" / "batch.py")
    result = run(script, str(bad), "--out", str(tmp_path / "bad.blend"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "broken.ogg" in result.stderr and not (tmp_path / "bad.blend").exists()


def test_cli_blend_output_reproduces_the_npz_dance(demo_song, tmp_path):
    npz, blend = tmp_path / "dance.npz", tmp_path / "dance.blend"
    result = run(
        "-m", "core.cli", "generate", str(demo_song), "--out", str(npz), "--out", str(blend)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert_reproduces(open_blend(blend), Motion.load_npz(npz), n_samples=10)
