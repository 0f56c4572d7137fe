"""Time Generate Dance on a 3-minute song in a Python that holds only bpy and the extension.

    python benchmarks/stock_bpy_generate.py [--python BPY_ONLY_PYTHON] [SONG]

Builds the linux-x64 zip (``build.py``), makes a fresh virtual environment with nothing but
``bpy==5.0.1`` (unless ``--python`` names one), installs the zip there as a user would, and times
the operator from the call to the keyed armature: the first click in a session (which also reads
the extension's modules and model files) and a second one. The song is the first 3 minutes of
SONG, or of the first game track in ../shared/data/music/game, or the synthesised demo groove.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio.decode import SAMPLE_RATE, audio_duration, load_audio  # noqa: E402
from core.audio.demo_song import synthesize_demo_song  # noqa: E402

GAME_MUSIC = ROOT.parent / "shared" / "data" / "music" / "game"
SECONDS = 180
INSIDE = """
import sys, time
import bpy
zip_path, song = sys.argv[1], sys.argv[2]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.extensions.package_install_files(
    repo="user_default", filepath=zip_path, enable_on_install=True
)
for click in ("first", "second"):
    bpy.ops.wm.read_factory_settings(use_empty=False)
    bpy.ops.preferences.addon_enable(module="bl_ext.user_default.motionbeat")
    bpy.context.scene.render.fps = 30
    start = time.perf_counter()
    bpy.ops.motionbeat.generate_dance(filepath=song, seed=0)
    seconds = time.perf_counter() - start
    frames = bpy.context.scene.frame_end
    print(f"{click} click: {seconds:.2f} s to a keyed armature ({frames} frames)")
"""


def bpy_only_python(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "bpy==5.0.1"], check=True)
    return python


def three_minutes(song: Path | None, folder: Path) -> Path:
    if song is None and GAME_MUSIC.is_dir():  # the first game track of 3 minutes or more
        long = [p for p in sorted(GAME_MUSIC.glob("*.ogg")) if audio_duration(p) >= SECONDS]
        song = long[0] if long else None
    y = load_audio(song) if song else synthesize_demo_song(bars=90)
    path = folder / "three minutes.wav"
    soundfile.write(str(path), y[: SECONDS * SAMPLE_RATE], SAMPLE_RATE)
    seconds = min(len(y) / SAMPLE_RATE, SECONDS)
    print(f"song: {song.name if song else 'demo groove'}, {seconds:.0f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("song", nargs="?", type=Path)
    parser.add_argument("--python", type=Path, help="a Python with only bpy installed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        build = [sys.executable, str(ROOT / "build.py"), "--out-dir", str(scratch)]
        built = subprocess.run(
            [*build, "--platform", "linux-x64"], check=True, capture_output=True, text=True
        )
        zip_path = built.stdout.strip().splitlines()[-1]
        python = args.python or bpy_only_python(scratch / "venv")
        song = three_minutes(args.song, scratch)
        env = {"BLENDER_USER_RESOURCES": str(scratch / "user"), "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [str(python), "-c", INSIDE, zip_path, str(song)],
            capture_output=True, text=True, cwd=scratch, env=env,
        )  # fmt: skip
        if result.returncode != 0:
            sys.exit(result.stderr[-2000:])
        print("\n".join(line for line in result.stdout.splitlines() if "click" in line))


if __name__ == "__main__":
    main()
