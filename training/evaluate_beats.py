"""The old name of ``training.beats.evaluate``: ``python -m training.evaluate_beats`` runs it."""

import sys

from training.beats.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
