"""Pretraining of the MotionBeat encoders (ECL + SRAL), data preparation and evaluation.

The model and its training arrive with the MotionBeat model issue; the first choreographer in
``core.choreographer`` needs no trained weights.
"""
