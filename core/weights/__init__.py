"""Every asset the product ships: model weights, the built-in motion libraries, the model card.

Imports nothing; the modules that read an asset name it from ``WEIGHTS``.
"""

from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent
