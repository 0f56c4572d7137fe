"""The old name of ``training.beats.train``: ``python -m training.train_beats`` still runs it."""

import sys

from training.beats.train import main

if __name__ == "__main__":
    sys.exit(main())
