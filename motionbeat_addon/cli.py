"""The ``motionbeat`` command: ``core.cli`` with its ``.blend`` outputs keyed here, in the same
process, through Blender's Python module (``bpy``, imported only when a ``.blend`` is asked for).

    motionbeat generate SONG --out DANCE.blend [--out DANCE.npz] ...   (see ``core.cli``)

The installed command is this module's ``main``; it imports nothing from the working folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core import cli
from core.body.motion import Motion


def write_blend(song: Path, motion: Motion, out: Path) -> None:
    """Key ``motion`` onto a new SMPL armature in a fresh scene with ``song`` as its sound
    strip, and save the scene as ``out``. Raises MotionBeatError if Blender saved no file."""
    from .batch import key_dance

    key_dance(song, motion, out)


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, blend_writer=write_blend)


if __name__ == "__main__":
    sys.exit(main())
