"""Build the MotionBeat extension, one zip per platform, with Blender's own extension tool.

    python build.py [--out-dir dist] [--platform linux-x64 ...]

Stages ``motionbeat_addon/`` with ``blender_manifest.toml``, a wheel of the project's ``core``
package (the engine the add-on calls; numpy only at run time, ``core.generate``) and the binary
wheels that engine needs beyond what Blender ships (numpy): scipy, soundfile (with libsndfile)
and its dependencies, and soxr, downloaded from PyPI for each platform and CPython 3.11
(Blender 4.2 to 5.0).
Then builds with ``--split-platforms`` (``blender --command extension build`` where a Blender
binary is on PATH, else the ``blender_ext.py`` tool that the ``bpy`` wheel carries), which
writes one zip per platform holding only that platform's wheels, and validates each zip with
the same tool. Prints the zips' paths, one per line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MANIFEST = ROOT / "blender_manifest.toml"
# What the engine imports in Blender beyond numpy, pinned to the versions the tests run with.
RUNTIME_WHEELS = (
    "scipy==1.17.1",
    "soundfile==0.14.0",
    "cffi==2.1.1",  # soundfile's
    "pycparser==3.12",  # cffi's
    "typing_extensions==4.16.0",  # soundfile's
    "soxr==1.1.0",
    "threadpoolctl==3.8.0",  # one BLAS thread for the numpy networks
)
# What of ``core`` stays out of the Blender wheel: the modules that need torch or librosa
# (``core/__init__.py`` names the tiers; they cannot import in Blender) and the torch
# checkpoint. Paths relative to ``core/``.
NOT_IN_BLENDER = (
    "beats/librosa_tracker.py",
    "model/network.py",
    "model/phase_rotation.py",
    "model/checkpoint.py",
    "motion_files/joint_fit.py",
    "motion_files/tang2018.py",
    "choreography/library_build.py",
    "choreography/time_warp.py",
    "weights/motionbeat_default.pt",
)
# pip's platform tags for each Blender platform, no newer than Blender 4.2's minimum OS (glibc
# 2.28, macOS 11.2), except that scipy's Apple-silicon wheels need macOS 12.
PIP_PLATFORMS = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_11_0_arm64", "macosx_12_0_arm64"),
    "macos-x64": ("macosx_10_9_x86_64", "macosx_10_13_x86_64", "macosx_10_14_x86_64")
    + ("macosx_10_15_x86_64", "macosx_11_0_x86_64"),
}


def extension_tool() -> list[str]:
    """The command that runs Blender's extension tool."""
    blender = shutil.which("blender")
    if blender:
        return [blender, "--command", "extension"]
    spec = importlib.util.find_spec("bpy")  # located, not imported: the tool runs on its own
    if spec is None or spec.origin is None:
        sys.exit("build.py: needs a 'blender' binary on PATH or the bpy module (pip install bpy)")
    tools = sorted(Path(spec.origin).parent.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not tools:
        sys.exit(f"build.py: no blender_ext.py in {Path(spec.origin).parent}")
    return [sys.executable, str(tools[-1])]


def _numpy_tier_only(folder: str, names: list[str]) -> set[str]:
    """``shutil.copytree``'s ignore: the names in ``folder`` that the Blender wheel leaves out."""
    relative = Path(folder).resolve().relative_to(ROOT / "core")
    return {n for n in names if n == "__pycache__" or (relative / n).as_posix() in NOT_IN_BLENDER}


def build_core_wheel(version: str, wheel_dir: Path) -> Path:
    """A pure-Python wheel of the ``core`` package's numpy tier (without ``NOT_IN_BLENDER``)."""
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        shutil.copytree(
            ROOT / "core",
            project / "core",
            ignore=_numpy_tier_only,
        )
        (project / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["setuptools>=61"]\n'
            'build-backend = "setuptools.build_meta"\n'
            f'[project]\nname = "motionbeat-core"\nversion = "{version}"\n'
            '[tool.setuptools.packages.find]\ninclude = ["core*"]\n'
            "[tool.setuptools.package-data]\n"
            '"core.weights" = ["*.npz", "*.md"]\n'
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--wheel-dir",
                str(wheel_dir),
                str(project),
            ],
            check=True,
        )
    return next(wheel_dir.glob("motionbeat_core-*.whl"))


def download_wheels(platforms: list[str], wheel_dir: Path) -> list[Path]:
    """The runtime wheels for each platform and CPython 3.11, binary only, without numpy."""
    for platform in platforms:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
        command += ["--no-deps", "--python-version", "3.11", "--implementation", "cp"]
        for tag in PIP_PLATFORMS[platform]:
            command += ["--platform", tag]
        subprocess.run([*command, "--dest", str(wheel_dir), *RUNTIME_WHEELS], check=True)
    return sorted(wheel_dir.glob("*.whl"))


def stage(staging: Path, platforms: list[str]) -> None:
    """Lay out the extension's source folder: add-on modules, manifest, wheels."""
    manifest = tomllib.loads(MANIFEST.read_text())
    shutil.copytree(
        ROOT / "motionbeat_addon", staging, ignore=shutil.ignore_patterns("__pycache__")
    )
    build_core_wheel(manifest["version"], staging / "wheels")
    wheels = download_wheels(platforms, staging / "wheels")
    listed = ", ".join(f'"./wheels/{wheel.name}"' for wheel in wheels)
    text = MANIFEST.read_text().replace("wheels = []", f"wheels = [{listed}]")
    text = re.sub(r"(?m)^platforms = .*$", f"platforms = {json.dumps(platforms)}", text)
    (staging / "blender_manifest.toml").write_text(text)


def build(out_dir: Path, platforms: list[str]) -> list[Path]:
    """Build and validate one zip per platform in ``out_dir``; return their paths."""
    tool = extension_tool()
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = tomllib.loads(MANIFEST.read_text())
    with tempfile.TemporaryDirectory() as scratch:
        staging = Path(scratch) / manifest["id"]
        stage(staging, platforms)
        command = [*tool, "build", "--source-dir", str(staging), "--output-dir", str(out_dir)]
        subprocess.run([*command, "--split-platforms"], check=True, stdout=subprocess.DEVNULL)
    stem = f"{manifest['id']}-{manifest['version']}"
    zips = [out_dir / f"{stem}-{platform.replace('-', '_')}.zip" for platform in platforms]
    for zip_path in zips:
        subprocess.run([*tool, "validate", str(zip_path)], check=True, stdout=subprocess.DEVNULL)
    return zips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--platform", action="append", choices=sorted(PIP_PLATFORMS), dest="platforms",
        help="build for this platform only; repeat for several (default: all four)",
    )  # fmt: skip
    args = parser.parse_args()
    for zip_path in build(args.out_dir, args.platforms or list(PIP_PLATFORMS)):
        print(zip_path)


if __name__ == "__main__":
    main()
