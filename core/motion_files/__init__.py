"""Motion files in and out: BVH, AIST++, retargeting to SMPL and loading by suffix (numpy
only); fitting SMPL to joint positions and the tang2018 dances (``joint_fit``, ``tang2018``;
need torch).

Imports nothing: each module is imported by name.
"""
