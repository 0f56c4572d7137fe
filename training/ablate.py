"""The old name of ``training.encoder.ablate``: ``python -m training.ablate`` still runs it."""

import sys

from training.encoder.ablate import main

if __name__ == "__main__":
    sys.exit(main())
