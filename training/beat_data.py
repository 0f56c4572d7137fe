"""The old name of ``training.beats.data``: ``python -m training.beat_data`` still runs it."""

import sys

from training.beats.data import main

if __name__ == "__main__":
    sys.exit(main())
