"""Command-line option types with their documented ranges, shared by the CLI and the batch.

An out-of-range or non-numeric value (nan, inf, -1 where a count is asked for) is a malformed
command line: argparse prints the usage and one line naming the option and its range, and exits
with status 2, before any work starts.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

MAX_SEED = 2**32 - 1  # numpy's SeedSequence takes any non-negative integer; this many suffice
FPS_RANGE = (1.0, 240.0)  # Blender's scene rates; past 240 fps a dance is not an animation
MAX_ALTERNATIVES = 100


def number_in(low: float, high: float, kind: type = float) -> Callable[[str], float]:
    """An argparse ``type``: ``kind`` (float or int) of the text, finite, from low to high."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not low <= value <= high:
            what = "a whole number" if kind is int else "a number"
            span = f"{int(low)} to {int(high)}" if kind is int else f"{low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} from {span}")
        return value

    return parse


seed = number_in(0, MAX_SEED, int)
fps = number_in(*FPS_RANGE)
alternatives = number_in(1, MAX_ALTERNATIVES, int)
