"""The SMPL armature: building one (at the rest offsets, or at a real SMPL body's joints),
checking a chosen one, and its body: a proxy, or the SMPL mesh skinned with SMPL's weights."""

from __future__ import annotations

from typing import cast

import bpy
import numpy as np

from core.body.skeleton import FOOT_JOINTS, JOINT_NAMES, N_JOINTS, PARENTS, rest_joint_positions
from core.body.smpl_mesh import SmplBody
from core.errors import ArmatureError

from .conversion import to_z_up

# Pelvis height of the rest armature, so that its T-pose stands with the foot joints 3 cm up.
REST_PELVIS_HEIGHT_M = 0.03 - float(rest_joint_positions()[list(FOOT_JOINTS), 1].min())
# Bones with several children point at the one that continues the chain.
CHAIN_CHILD = {"pelvis": "spine1", "spine3": "neck"}
# Leaf bones have no child to point at: a direction (SMPL, Y-up) and a length in metres.
LEAF_TAILS = {
    "head": ((0.0, 1.0, 0.0), 0.18),
    "left_foot": ((0.0, 0.0, 1.0), 0.07),
    "right_foot": ((0.0, 0.0, 1.0), 0.07),
    "left_hand": ((1.0, 0.0, 0.0), 0.08),
    "right_hand": ((-1.0, 0.0, 0.0), 0.08),
}
# Proxy body: limb radius in metres of the segment each bone spans.
SEGMENT_RADII = {
    "pelvis": 0.12,
    "spine1": 0.12,
    "spine2": 0.13,
    "spine3": 0.12,
    "neck": 0.05,
    "left_collar": 0.05,
    "right_collar": 0.05,
    "left_hip": 0.08,
    "right_hip": 0.08,
    "left_knee": 0.055,
    "right_knee": 0.055,
    "left_ankle": 0.045,
    "right_ankle": 0.045,
    "left_foot": 0.035,
    "right_foot": 0.035,
    "left_shoulder": 0.045,
    "right_shoulder": 0.045,
    "left_elbow": 0.038,
    "right_elbow": 0.038,
    "left_wrist": 0.03,
    "right_wrist": 0.03,
    "left_hand": 0.035,
    "right_hand": 0.035,
    "head": 0.1,
}
RING_SEGMENTS = 10


def rest_heads(body: SmplBody | None = None) -> np.ndarray:
    """Bone heads of the rest armature: (24, 3) metres, Z-up, in SMPL joint order: the rest
    offsets' joints, or ``body``'s, lifted so that the body stands on the floor."""
    if body is None:
        return to_z_up(rest_joint_positions() + [0.0, REST_PELVIS_HEIGHT_M, 0.0])
    return to_z_up(body.joints + [0.0, _lift(body), 0.0])


def _lift(body: SmplBody) -> float:
    """How far up ``body``'s template goes so that its lowest vertex touches the floor."""
    return -float(body.vertices[:, 1].min())


def rest_tails(heads: np.ndarray) -> np.ndarray:
    """Bone tails for rest bone ``heads`` (24, 3): each bone points at the child that continues
    its chain; leaf bones along ``LEAF_TAILS``."""
    tails = np.empty_like(heads)
    for j, name in enumerate(JOINT_NAMES):
        children = [c for c in range(N_JOINTS) if PARENTS[c] == j]
        if name in LEAF_TAILS:
            direction, length = LEAF_TAILS[name]
            tails[j] = heads[j] + length * to_z_up(np.array(direction))
        else:
            child = JOINT_NAMES.index(CHAIN_CHILD[name]) if name in CHAIN_CHILD else children[0]
            tails[j] = heads[child]
    return tails


def build_smpl_armature(
    context: bpy.types.Context, name: str = "SMPL", body: SmplBody | None = None
) -> bpy.types.Object:
    """A new armature object with the 24 SMPL bones in the T-pose (at ``body``'s joints when
    given), linked to the scene and made active. Leaves the context in object mode."""
    armature = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, armature)
    context.scene.collection.objects.link(obj)
    obj.show_in_front = True
    context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    heads = rest_heads(body)
    tails = rest_tails(heads)
    for j, bone_name in enumerate(JOINT_NAMES):
        bone = armature.edit_bones.new(bone_name)
        bone.head, bone.tail = heads[j], tails[j]
        if PARENTS[j] >= 0:
            bone.parent = armature.edit_bones[JOINT_NAMES[PARENTS[j]]]
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def armature_data(obj: bpy.types.Object) -> bpy.types.Armature:
    """The armature data of an object whose type is ARMATURE (typed for the checker)."""
    return cast(bpy.types.Armature, obj.data)


def check_smpl_armature(obj: bpy.types.Object) -> None:
    """Raise ArmatureError unless ``obj`` is a local armature with the 24 SMPL bone names."""
    if obj.type != "ARMATURE":
        raise ArmatureError(f"'{obj.name}' is a {obj.type.lower()}, not an armature")
    armature = armature_data(obj)
    if obj.library is not None or armature.library is not None:
        raise ArmatureError(f"'{obj.name}' is linked from a library; make it local first")
    missing = [name for name in JOINT_NAMES if name not in armature.bones]
    if missing:
        shown = ", ".join(missing[:4]) + (" ..." if len(missing) > 4 else "")
        raise ArmatureError(
            f"'{obj.name}' is not an SMPL armature: {len(missing)} of its 24 bones are missing "
            f"({shown}). Deselect it to create a new SMPL armature."
        )


def _segment_mesh(head: np.ndarray, tail: np.ndarray, radius: float) -> tuple[np.ndarray, list]:
    """A capped tube from head to tail: vertices (2 * RING_SEGMENTS + 2, 3) and quad/tri faces."""
    axis = tail - head
    axis = axis / max(np.linalg.norm(axis), 1e-9)
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    angles = np.linspace(0.0, 2 * np.pi, RING_SEGMENTS, endpoint=False)
    ring = radius * (np.outer(np.cos(angles), u) + np.outer(np.sin(angles), v))
    vertices = np.concatenate([head + ring, tail + ring, [head, tail]])
    n = RING_SEGMENTS
    faces: list = [(i, (i + 1) % n, n + (i + 1) % n, n + i) for i in range(n)]
    faces += [(2 * n, (i + 1) % n, i) for i in range(n)]
    faces += [(2 * n + 1, n + i, n + (i + 1) % n) for i in range(n)]
    return vertices, faces


def build_proxy_body(
    context: bpy.types.Context, armature_obj: bpy.types.Object
) -> bpy.types.Object:
    """A simple tube body skinned rigidly to the armature's bones, so a render shows a figure."""
    vertices, faces, groups = [], [], []
    offset = 0
    bones = armature_data(armature_obj).bones
    segments = [(name, bones[name].head_local, bones[name].tail_local) for name in JOINT_NAMES]
    # The pelvis bone points up the spine; a tube across the hip joints fills the waist.
    segments.append(("pelvis", bones["left_hip"].head_local, bones["right_hip"].head_local))
    for name, head, tail in segments:
        v, f = _segment_mesh(np.array(head), np.array(tail), SEGMENT_RADII[name])
        vertices.append(v)
        faces += [tuple(i + offset for i in face) for face in f]
        groups.append((name, range(offset, offset + len(v))))
        offset += len(v)
    mesh = bpy.data.meshes.new(armature_obj.name + "_body")
    mesh.from_pydata(np.concatenate(vertices).tolist(), [], faces)
    mesh.update()
    body = bpy.data.objects.new(armature_obj.name + "_body", mesh)
    context.scene.collection.objects.link(body)
    for name, indices in groups:
        group = body.vertex_groups.get(name) or body.vertex_groups.new(name=name)
        group.add(list(indices), 1.0, "REPLACE")
    body.parent = armature_obj
    modifier = cast(bpy.types.ArmatureModifier, body.modifiers.new("Armature", "ARMATURE"))
    modifier.object = armature_obj
    return body


def build_smpl_body(
    context: bpy.types.Context, armature_obj: bpy.types.Object, body: SmplBody
) -> bpy.types.Object:
    """The SMPL template mesh, skinned to an armature built at its joints with SMPL's weights."""
    mesh = bpy.data.meshes.new(armature_obj.name + "_body")
    vertices = to_z_up(body.vertices + [0.0, _lift(body), 0.0])
    mesh.from_pydata(vertices.tolist(), [], body.faces.tolist())
    mesh.update()
    obj = bpy.data.objects.new(armature_obj.name + "_body", mesh)
    context.scene.collection.objects.link(obj)
    for j, name in enumerate(JOINT_NAMES):
        group = obj.vertex_groups.new(name=name)
        for vertex in np.flatnonzero(body.weights[:, j] > 0):
            group.add([int(vertex)], float(body.weights[vertex, j]), "REPLACE")
    obj.parent = armature_obj
    modifier = cast(bpy.types.ArmatureModifier, obj.modifiers.new("Armature", "ARMATURE"))
    modifier.object = armature_obj
    return obj
