"""MotionBeat engine: a song file in, a beat-synchronised SMPL dance out.

Subpackages, by the question each answers (``[n]`` numpy and scipy only, the tier that runs
inside Blender; ``[L]`` needs librosa; ``[T]`` needs torch):

- ``audio`` [n]: decoding, spectra, loudness, the demo song.
- ``beats`` [n] (``librosa_tracker`` [L]): beats, downbeats and meter.
- ``body`` [n]: skeleton and forward kinematics, ``Motion``, foot contacts, leg IK, SMPL mesh.
- ``motion_files`` [n] (``joint_fit``, ``tang2018`` [T]): BVH, AIST++, retargeting.
- ``model`` [n] (``network``, ``phase_rotation``, ``checkpoint`` [T]): the MotionBeat encoder.
- ``choreography`` [n] (``library_build`` [T], ``time_warp`` [L]): bars, the motion library,
  the motion-graph choreographer, stitching, the procedural moves.
- ``weights``: every shipped asset.

Top-level modules: ``generate`` (the main job), ``analysis``, ``metrics``, ``cli``, ``errors``,
``options``, ``atomic``, ``npz``, ``config_dict``. Every ``__init__`` imports nothing, so a
module loads only what it needs. This package never imports bpy or ``motionbeat_addon``;
``motionbeat_addon`` turns its arrays into Blender data.
"""

__version__ = "0.1.0"
