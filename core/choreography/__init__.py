"""From an analysed song to a dance: the bar grid, the motion library, the motion-graph
choreographer and its stitching, and the procedural moves (numpy only); building libraries
from capture (``library_build``, ``time_warp``; need torch and librosa).

Imports nothing: each module is imported by name.
"""
