"""A song's samples: decoding, spectra, loudness and the synthesised demo song. Numpy only.

Imports nothing: each module is imported by name.
"""
