"""Build the MotionBeat extension zip with Blender's own extension tool.

    python build.py [--out-dir dist]

Stages ``motionbeat_addon/`` with ``blender_manifest.toml`` and a wheel of the project's
``core`` package (the engine the add-on calls), builds the zip with ``blender --command
extension build`` where a Blender binary is on PATH, else with the ``blender_ext.py`` tool that
the ``bpy`` wheel carries, and validates it with the same tool. Prints the zip's path.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MANIFEST = ROOT / "blender_manifest.toml"


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


def build_core_wheel(version: str, wheel_dir: Path) -> Path:
    """A pure-Python wheel holding only the ``core`` package."""
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        shutil.copytree(
            ROOT / "core", project / "core", ignore=shutil.ignore_patterns("__pycache__")
        )
        (project / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["setuptools>=61"]\n'
            'build-backend = "setuptools.build_meta"\n'
            f'[project]\nname = "motionbeat-core"\nversion = "{version}"\n'
            '[tool.setuptools.packages.find]\ninclude = ["core*"]\n'
            "[tool.setuptools.package-data]\n"
            '"core.model" = ["weights/*.pt", "weights/*.npz", "weights/*.md"]\n'
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


def stage(staging: Path) -> None:
    """Lay out the extension's source folder: add-on modules, manifest, core wheel."""
    manifest = tomllib.loads(MANIFEST.read_text())
    shutil.copytree(
        ROOT / "motionbeat_addon", staging, ignore=shutil.ignore_patterns("__pycache__")
    )
    wheel = build_core_wheel(manifest["version"], staging / "wheels")
    text = MANIFEST.read_text().replace("wheels = []", f'wheels = ["./wheels/{wheel.name}"]')
    (staging / "blender_manifest.toml").write_text(text)


def build(out_dir: Path) -> Path:
    """Build and validate the zip in ``out_dir``; return its path."""
    tool = extension_tool()
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = tomllib.loads(MANIFEST.read_text())
    zip_path = out_dir / f"{manifest['id']}-{manifest['version']}.zip"
    with tempfile.TemporaryDirectory() as scratch:
        staging = Path(scratch) / manifest["id"]
        stage(staging)
        subprocess.run(
            [*tool, "build", "--source-dir", str(staging), "--output-filepath", str(zip_path)],
            check=True,
        )
    subprocess.run([*tool, "validate", str(zip_path)], check=True)
    return zip_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "dist")
    print(build(parser.parse_args().out_dir))


if __name__ == "__main__":
    main()
