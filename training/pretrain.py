"""The old name of ``training.encoder.pretrain``: ``python -m training.pretrain`` still runs it."""

import sys

from training.encoder.pretrain import main

if __name__ == "__main__":
    sys.exit(main())
