"""Error types with messages a user can act on.

Raised where the fault is found; shown once at the edge (CLI: one line on stderr and a
non-zero exit; Blender: an operator error report).
"""

import sys


class MotionBeatError(Exception):
    """Base of every error MotionBeat reports to a user."""


class AudioLoadError(MotionBeatError):
    """The song cannot be used: missing, unreadable, undecodable, silent, too short or too long."""


class BeatTrackingError(MotionBeatError):
    """No usable beat was found in the song."""


class MotionFileError(MotionBeatError):
    """A motion file is malformed: wrong keys, shapes, dtypes or non-finite values."""


class ArmatureError(MotionBeatError):
    """The armature to animate is not an SMPL armature."""


class ModelFileError(MotionBeatError):
    """A model checkpoint is missing, truncated, not a MotionBeat checkpoint, or unsafe to load."""


def report_error(program: str, exc: BaseException) -> int:
    """Print ``exc`` as the one line every command shows on stderr, ``PROGRAM: message``, and
    return the exit status: 130 for an interrupt (128 + SIGINT, as shells report it), else 1.

    Only for errors a user can act on (``MotionBeatError``, ``OSError``: an output folder that
    cannot be written, a full disk) and Ctrl-C; anything else is a bug and keeps its traceback.
    """
    if isinstance(exc, KeyboardInterrupt):
        message, status = "interrupted", 130
    elif isinstance(exc, OSError) and not isinstance(exc, MotionBeatError):
        message = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        status = 1
    else:
        lines = str(exc).strip().splitlines()
        message, status = f"{type(exc).__name__}: {lines[-1] if lines else ''}".rstrip(": "), 1
    print(f"{program}: {message}", file=sys.stderr)
    return status
