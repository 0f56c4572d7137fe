"""Beats, downbeats and meter: the MotionBeat tracker (``network``, ``decoder``; numpy only),
librosa's as a fallback (``librosa_tracker``; needs librosa) and the ``BeatTrack`` they return.

Imports nothing: each module is imported by name (the numpy tier must not load librosa).
"""
