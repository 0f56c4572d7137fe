"""Error types with messages a user can act on.

Raised where the fault is found; shown once at the edge (CLI: one line on stderr and a
non-zero exit; Blender: an operator error report).
"""


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
