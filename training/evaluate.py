"""The old name of ``training.encoder.evaluate``: ``python -m training.evaluate`` still runs it."""

import sys

from training.encoder.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
