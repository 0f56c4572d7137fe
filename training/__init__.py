"""Pretraining of the MotionBeat encoders (ECL + SRAL), its data, evaluation and export.

``pretrain`` trains, ``evaluate`` scores retrieval and beat-jitter discrimination, ``export``
turns a checkpoint into an embedded model; ``data`` and ``synthetic`` make the paired clips and
``losses`` holds ECL and SRAL.
"""
