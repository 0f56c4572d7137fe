"""Where the shared data is: ``../shared/data`` beside the project (its README describes it).

The one place that knows; training reads every data set from under ``SHARED_DATA``.
"""

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
