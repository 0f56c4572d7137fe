"""Coverage-guided fuzzing (atheris, libFuzzer) of the parsers that read untrusted files.

    python tests/fuzz/fuzz_parsers.py bvh|aistpp CORPUS_DIR -runs=N -max_total_time=S

Any input may be refused with MotionFileError; any other exception, a hang or a crash is a bug
and makes libFuzzer exit non-zero with the input that caused it.
"""

import sys

import atheris

with atheris.instrument_imports():
    from core.errors import MotionFileError
    from core.motion_files.aistpp import aistpp_motion, loads_arrays_pickle
    from core.motion_files.bvh import parse_bvh


def bvh(data: bytes) -> None:
    try:
        parse_bvh(data.decode("utf-8", errors="replace"), "fuzz.bvh")
    except MotionFileError:
        pass


def aistpp(data: bytes) -> None:
    try:
        aistpp_motion(loads_arrays_pickle(data, "fuzz.pkl"), "fuzz.pkl")
    except MotionFileError:
        pass


if __name__ == "__main__":
    target = {"bvh": bvh, "aistpp": aistpp}[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
