"""The MotionBeat model: config, tokens, network (torch), checkpoints, and the numpy music
encoder. Import from the submodules: this package imports nothing itself, so that the numpy
parts load where torch is absent (Blender's Python)."""
