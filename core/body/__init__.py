"""The SMPL body: skeleton and forward kinematics, the ``Motion`` type, foot contacts, leg IK
and the licensed body mesh. Numpy only.

Imports nothing: each module is imported by name.
"""
