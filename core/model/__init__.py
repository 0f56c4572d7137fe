"""The MotionBeat music and motion encoders (arXiv 2510.13244), in torch."""

from core.model.checkpoint import DEFAULT_MODEL, load_model, read_checkpoint, save_checkpoint
from core.model.config import MotionBeatConfig
from core.model.network import MotionBeat, bar_embeddings

__all__ = [
    "DEFAULT_MODEL",
    "MotionBeat",
    "MotionBeatConfig",
    "bar_embeddings",
    "load_model",
    "read_checkpoint",
    "save_checkpoint",
]
