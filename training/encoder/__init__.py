"""Pretraining the MotionBeat encoders with ECL + SRAL, and evaluating them."""
