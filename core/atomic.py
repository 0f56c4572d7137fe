"""Writing a file so that a crash leaves the old file or none, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary sibling of ``path`` for binary writing; when the body finishes, flush it
    to disk and rename it over ``path``. Makes the parent folders.

    Each writer has its own temporary (``.NAME.XXXX.partial``), so writers of one path at once
    never clobber each other's half-written files: the last rename wins, whole. If the body or
    the rename raises, the temporary is removed and ``path`` is as it was. Only a kill leaves a
    ``.partial`` behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(partial, FILE_MODE)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise


def check_outputs(inputs: list[str | os.PathLike], outputs: list[str | os.PathLike]) -> None:
    """Raise MotionBeatError if an output is, through any links, one of the inputs or another
    output: writing it would destroy what the command reads, or lose one of its results."""
    from core.errors import MotionBeatError

    read = {os.path.realpath(p): Path(p) for p in inputs}
    seen: set[str] = set()
    for out in outputs:
        real = os.path.realpath(out)
        if real in read:
            raise MotionBeatError(f"{out}: is the input {read[real]}; choose another output")
        if real in seen:
            raise MotionBeatError(f"{out}: given twice as an output")
        seen.add(real)


@contextmanager
def written_together(paths: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths for writing ``paths``, all or none: when the body finishes, each is
    renamed over its path; if the body raises, every temporary is removed and no path changed.

    Each temporary has the path's own name, in a fresh hidden folder beside it (``.NAME.XXXX``):
    a writer that backs up the file it overwrites (Blender's ``.blend1``) finds nothing there
    to back up, and writers of one path at once never share a temporary.
    """
    folders: list[Path] = []
    try:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.append(Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.")))
        temporaries = [folder / path.name for folder, path in zip(folders, paths, strict=True)]
        yield temporaries
        for temporary, path in zip(temporaries, paths, strict=True):
            os.replace(temporary, path)
    finally:
        for folder in folders:
            for leftover in folder.iterdir():
                leftover.unlink()
            folder.rmdir()
